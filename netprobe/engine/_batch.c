/* Batch operations on packet bytes, for the engine's hot paths.
 *
 * Three functions, each over a whole batch of packets at once, each with a
 * pure-Python/numpy twin that gives the same answer (tests compare them):
 *
 *   stamp(base, start, count, radices, varying, checksums) -> bytes
 *       probes start..start+count-1 of a packet set, stamped from the first
 *       one's bytes (netprobe.engine.template.ProbeTemplate.batch)
 *   ipv4_keys(raw, width, ip) -> (hash keys, strict keys)
 *       the fast path's hash key of every row of same-layout IPv4 TCP/UDP
 *       probes, and the strict (exact-match) key of the TCP ones
 *       (template.fast_keys, strictkeys.template_keys)
 *   answer_keys(buf, meta, linktype) -> list | None
 *       the strict key of every packet (IPv4 or IPv6 TCP) of a pcapy-ng
 *       next_batch buffer (strictkeys.answer_keys)
 *
 * Built at install time (pyproject.toml, ext-modules, optional): where it
 * cannot be built, the engine uses the twins.
 */
#define PY_SSIZE_T_CLEAN
#include <Python.h>
#include <stdint.h>
#include <string.h>

#define MAX_FIELDS 16
#define MAX_WORDS 64

typedef struct {
    Py_ssize_t offset, size;
    int shift, bits;
    const uint64_t *values;
    Py_ssize_t nvalues;
} varying_t;

typedef struct {
    Py_ssize_t offset;
    unsigned base;
    Py_ssize_t words[MAX_WORDS];
    Py_ssize_t nwords;
    int zero_as_ffff;
} checksum_t;

static PyObject *
stamp(PyObject *self, PyObject *args)
{
    Py_buffer base;
    long long start, count;
    PyObject *radices, *varying, *checksums;
    if (!PyArg_ParseTuple(args, "y*LLO!O!O!", &base, &start, &count, &PyTuple_Type, &radices,
                          &PyTuple_Type, &varying, &PyTuple_Type, &checksums))
        return NULL;
    PyObject *out = NULL;
    Py_buffer vbufs[MAX_FIELDS];
    Py_ssize_t nbufs = 0;
    varying_t vs[MAX_FIELDS];
    checksum_t cs[MAX_FIELDS];
    long long rad[MAX_FIELDS];
    Py_ssize_t nv = PyTuple_GET_SIZE(varying), nc = PyTuple_GET_SIZE(checksums);
    Py_ssize_t len = base.len;
    const unsigned char *b = base.buf;

    if (nv > MAX_FIELDS || nc > MAX_FIELDS || PyTuple_GET_SIZE(radices) != nv) {
        PyErr_SetString(PyExc_ValueError, "stamp: too many fields or radices mismatch");
        goto done;
    }
    if (start < 0 || count < 0) {
        PyErr_SetString(PyExc_ValueError, "stamp: negative start or count");
        goto done;
    }
    for (Py_ssize_t k = 0; k < nv; k++) {
        rad[k] = PyLong_AsLongLong(PyTuple_GET_ITEM(radices, k));
        if (rad[k] == -1 && PyErr_Occurred())
            goto done;
        if (rad[k] <= 0) {
            PyErr_SetString(PyExc_ValueError, "stamp: radix must be positive");
            goto done;
        }
        long long off, size;
        int shift, bits;
        PyObject *vt = PyTuple_GET_ITEM(varying, k);
        if (!PyArg_ParseTuple(vt, "LLiiy*", &off, &size, &shift, &bits, &vbufs[nbufs]))
            goto done;
        nbufs++;
        if (off < 0 || size < 1 || size > 8 || off + size > len || shift < 0 || bits < 1
            || shift + bits > 64 || vbufs[k].len % 8 != 0
            || vbufs[k].len / 8 < rad[k]) {
            PyErr_SetString(PyExc_ValueError, "stamp: bad varying field");
            goto done;
        }
        vs[k].offset = off;
        vs[k].size = size;
        vs[k].shift = shift;
        vs[k].bits = bits;
        vs[k].values = vbufs[k].buf;
        vs[k].nvalues = vbufs[k].len / 8;
    }
    for (Py_ssize_t k = 0; k < nc; k++) {
        long long off;
        unsigned cbase;
        PyObject *words;
        int zero;
        if (!PyArg_ParseTuple(PyTuple_GET_ITEM(checksums, k), "LIO!p", &off, &cbase,
                              &PyTuple_Type, &words, &zero))
            goto done;
        Py_ssize_t nw = PyTuple_GET_SIZE(words);
        if (off < 0 || off + 2 > len || nw > MAX_WORDS) {
            PyErr_SetString(PyExc_ValueError, "stamp: bad checksum");
            goto done;
        }
        cs[k].offset = off;
        cs[k].base = cbase & 0xFFFF;
        cs[k].nwords = nw;
        cs[k].zero_as_ffff = zero;
        for (Py_ssize_t w = 0; w < nw; w++) {
            Py_ssize_t at = PyLong_AsSsize_t(PyTuple_GET_ITEM(words, w));
            if (at == -1 && PyErr_Occurred())
                goto done;
            if (at < 0 || at + 2 > len) {
                PyErr_SetString(PyExc_ValueError, "stamp: checksum word out of range");
                goto done;
            }
            cs[k].words[w] = at;
        }
    }
    if (len && count > PY_SSIZE_T_MAX / len) {
        PyErr_NoMemory();
        goto done;
    }
    out = PyBytes_FromStringAndSize(NULL, (Py_ssize_t)(count * len));
    if (out == NULL)
        goto done;
    unsigned char *dst = (unsigned char *)PyBytes_AS_STRING(out);
    for (long long r = 0; r < count; r++) {
        unsigned char *row = dst + r * len;
        memcpy(row, b, len);
        long long index = start + r;
        long long digit[MAX_FIELDS];
        for (Py_ssize_t k = nv - 1; k >= 0; k--) {
            digit[k] = index % rad[k];
            index /= rad[k];
        }
        for (Py_ssize_t k = 0; k < nv; k++) {
            const varying_t *v = &vs[k];
            uint64_t val = v->values[digit[k]];
            if (v->bits == 8 * v->size) {
                for (Py_ssize_t i = 0; i < v->size; i++)
                    row[v->offset + i] = (unsigned char)(val >> (8 * (v->size - 1 - i)));
            } else {
                uint64_t unit = 0;
                for (Py_ssize_t i = 0; i < v->size; i++)
                    unit = (unit << 8) | row[v->offset + i];
                uint64_t mask = (v->bits == 64 ? ~(uint64_t)0 : (((uint64_t)1 << v->bits) - 1))
                                << v->shift;
                unit = (unit & ~mask) | ((val << v->shift) & mask);
                for (Py_ssize_t i = 0; i < v->size; i++)
                    row[v->offset + i] = (unsigned char)(unit >> (8 * (v->size - 1 - i)));
            }
        }
        for (Py_ssize_t k = 0; k < nc; k++) {
            const checksum_t *c = &cs[k];
            uint64_t acc = (~c->base) & 0xFFFF;
            for (Py_ssize_t w = 0; w < c->nwords; w++) {
                Py_ssize_t at = c->words[w];
                unsigned old = (unsigned)b[at] << 8 | b[at + 1];
                unsigned new = (unsigned)row[at] << 8 | row[at + 1];
                acc += ((~old) & 0xFFFF) + new;
            }
            for (int i = 0; i < 3; i++)
                acc = (acc & 0xFFFF) + (acc >> 16);
            unsigned sum = (unsigned)(~acc) & 0xFFFF;
            if (c->zero_as_ffff && sum == 0)
                sum = 0xFFFF;
            row[c->offset] = (unsigned char)(sum >> 8);
            row[c->offset + 1] = (unsigned char)sum;
        }
    }
done:
    for (Py_ssize_t k = 0; k < nbufs; k++)
        PyBuffer_Release(&vbufs[k]);
    PyBuffer_Release(&base);
    return out;
}

static PyObject *
ipv4_keys(PyObject *self, PyObject *args)
{
    Py_buffer raw;
    Py_ssize_t width, ip;
    if (!PyArg_ParseTuple(args, "y*nn", &raw, &width, &ip))
        return NULL;
    PyObject *keys = NULL, *stricts = NULL, *result = NULL;
    if (width <= 0 || ip < 0 || ip + 24 > width || raw.len % width != 0) {
        PyErr_SetString(PyExc_ValueError, "ipv4_keys: rows too short for IPv4 + ports");
        goto done;
    }
    Py_ssize_t n = raw.len / width;
    keys = PyList_New(n);
    stricts = PyList_New(n);
    if (keys == NULL || stricts == NULL)
        goto done;
    const unsigned char *p = raw.buf;
    Py_ssize_t t = ip + 20;
    for (Py_ssize_t i = 0; i < n; i++) {
        const unsigned char *row = p + i * width;
        unsigned char k[12];
        for (int j = 0; j < 4; j++)
            k[j] = row[ip + 12 + j] ^ row[ip + 16 + j];
        k[4] = row[ip + 9];
        k[5] = row[t] ^ row[t + 2];
        k[6] = row[t + 1] ^ row[t + 3];
        PyObject *key = PyBytes_FromStringAndSize((const char *)k, 7);
        if (key == NULL)
            goto done;
        PyList_SET_ITEM(keys, i, key);
        PyObject *strict;
        if (row[ip + 9] == 6 && ip + 40 <= width && (row[t + 12] >> 4) >= 5) {
            memcpy(k, row + ip + 16, 4);
            k[4] = row[t + 2];
            k[5] = row[t + 3];
            k[6] = row[t];
            k[7] = row[t + 1];
            Py_ssize_t size = 8;
            if (row[t + 13] & 0x02) {
                uint32_t seq = (uint32_t)row[t + 4] << 24 | (uint32_t)row[t + 5] << 16
                               | (uint32_t)row[t + 6] << 8 | row[t + 7];
                uint32_t ack = seq + 1;
                k[8] = (unsigned char)(ack >> 24);
                k[9] = (unsigned char)(ack >> 16);
                k[10] = (unsigned char)(ack >> 8);
                k[11] = (unsigned char)ack;
                size = 12;
            }
            strict = PyBytes_FromStringAndSize((const char *)k, size);
            if (strict == NULL)
                goto done;
        } else {
            strict = Py_NewRef(Py_None);
        }
        PyList_SET_ITEM(stricts, i, strict);
    }
    result = PyTuple_Pack(2, keys, stricts);
done:
    Py_XDECREF(keys);
    Py_XDECREF(stricts);
    PyBuffer_Release(&raw);
    return result;
}

/* generated from netprobe.packet.shape.MATCH_LINKS (c_link_table()): do not edit */
#define ETHERTYPE_IPV4 0x0800
#define ETHERTYPE_IPV6 0x86dd
static const struct { int linktype, ip_at, ethertype_at, version; } match_links[] = {
    {1, 14, 12, 0},
    {12, 0, -1, 0},
    {101, 0, -1, 0},
    {113, 16, 14, 0},
    {228, 0, -1, 4},
    {229, 0, -1, 6},
    {276, 20, 0, 0},
};

/* where the IP header starts on a link type (-1: not read here), where its
 * ethertype is (-1: none) and the one IP version it carries (0: either), from
 * match_links */
static int
ip_at(int linktype, int *ethertype_at, int *version)
{
    for (size_t i = 0; i < sizeof match_links / sizeof match_links[0]; i++) {
        if (match_links[i].linktype == linktype) {
            *ethertype_at = match_links[i].ethertype_at;
            *version = match_links[i].version;
            return match_links[i].ip_at;
        }
    }
    return -1;
}

static PyObject *
answer_keys(PyObject *self, PyObject *args)
{
    Py_buffer buf, meta;
    int linktype;
    if (!PyArg_ParseTuple(args, "y*y*i", &buf, &meta, &linktype))
        return NULL;
    PyObject *out = NULL;
    int et = -1, version = 0;
    int base = ip_at(linktype, &et, &version);
    if (base < 0) {
        out = Py_NewRef(Py_None);
        goto done;
    }
    Py_ssize_t n = meta.len / 16;
    out = PyList_New(n);
    if (out == NULL)
        goto done;
    const unsigned char *a = buf.buf;
    for (Py_ssize_t i = 0; i < n; i++) {
        uint32_t off, caplen;
        memcpy(&off, (const char *)meta.buf + i * 16 + 8, 4);
        memcpy(&caplen, (const char *)meta.buf + i * 16 + 12, 4);
        unsigned char k[40];
        Py_ssize_t size = 0;
        if ((Py_ssize_t)off + (Py_ssize_t)caplen <= buf.len && caplen >= (uint32_t)base + 40) {
            const unsigned char *f = a + off;
            const unsigned char *h = f + base;
            int v4 = version != 6, v6 = version != 4;
            if (et >= 0) {
                unsigned type = (unsigned)f[et] << 8 | f[et + 1];
                v4 = v4 && type == ETHERTYPE_IPV4;
                v6 = v6 && type == ETHERTYPE_IPV6;
            }
            if (v4 && h[0] == 0x45 && h[9] == 6 && (h[6] & 0x3F) == 0 && h[7] == 0) {
                unsigned tl = (unsigned)h[2] << 8 | h[3];
                unsigned thl = (unsigned)(h[32] >> 4) * 4;
                if (tl >= 40 && base + tl <= caplen && thl >= 20 && 20 + thl <= tl) {
                    /* IPv4: source address, ports, and the ACK number when ACK is set */
                    memcpy(k, h + 12, 4);
                    memcpy(k + 4, h + 20, 4);
                    size = 8;
                    if (h[33] & 0x10) {
                        memcpy(k + 8, h + 28, 4);
                        size = 12;
                    }
                }
            } else if (v6 && caplen >= (uint32_t)base + 60 && h[0] >> 4 == 6 && h[6] == 6) {
                unsigned plen = (unsigned)h[4] << 8 | h[5];
                unsigned thl = (unsigned)(h[52] >> 4) * 4;
                if (plen >= 20 && base + 40 + plen <= caplen && thl >= 20 && thl <= plen) {
                    /* IPv6: both addresses, ports, and the ACK number when ACK is set */
                    memcpy(k, h + 8, 36);
                    size = 36;
                    if (h[53] & 0x10) {
                        memcpy(k + 36, h + 48, 4);
                        size = 40;
                    }
                }
            }
        }
        PyObject *key;
        if (size) {
            key = PyBytes_FromStringAndSize((const char *)k, size);
            if (key == NULL) {
                Py_CLEAR(out);
                goto done;
            }
        } else {
            key = Py_NewRef(Py_None);
        }
        PyList_SET_ITEM(out, i, key);
    }
done:
    PyBuffer_Release(&buf);
    PyBuffer_Release(&meta);
    return out;
}

static PyMethodDef methods[] = {
    {"stamp", stamp, METH_VARARGS,
     "stamp(base, start, count, radices, varying, checksums) -> bytes: probes "
     "start..start+count-1 of a packet set, each len(base) bytes."},
    {"ipv4_keys", ipv4_keys, METH_VARARGS,
     "ipv4_keys(raw, width, ip) -> (hash keys, strict keys) of same-layout IPv4 rows."},
    {"answer_keys", answer_keys, METH_VARARGS,
     "answer_keys(buf, meta, linktype) -> strict key per captured packet, or None for "
     "link types it does not read."},
    {NULL, NULL, 0, NULL},
};

static struct PyModuleDef module = {
    PyModuleDef_HEAD_INIT, "_batch",
    "Batch operations on packet bytes for the engine's hot paths (C twins of "
    "template and strictkeys functions).",
    -1, methods,
};

PyMODINIT_FUNC
PyInit__batch(void)
{
    return PyModule_Create(&module);
}
