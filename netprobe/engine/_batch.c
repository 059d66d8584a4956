/* Batch operations on packet bytes, for the engine's hot paths.
 *
 * Three functions, each over a whole batch of packets at once, each doing what
 * the engine's per-packet Python path does one packet at a time (tests hold
 * them to the same bytes):
 *
 *   stamp(base, start, count, radices, varying, checksums) -> bytes
 *       probes start..start+count-1 of a packet set, stamped from the first
 *       one's bytes (netprobe.engine.template.ProbeTemplate.stamp): each the
 *       packet the layers build for that member of the set
 *   ipv4_keys(raw, width, ip) -> (hash keys, strict keys)
 *       the fast path's hash key of every row of same-layout IPv4 TCP/UDP
 *       probes, and the strict (exact-match) key of the TCP ones
 *       (fastpath.key_of, strictkeys.probe_key)
 *   answer_keys(buf, meta, linktype) -> list | None
 *       the strict key of every packet (IPv4 or IPv6 TCP) of a pcapy-ng
 *       next_batch buffer (strictkeys.answer_key, per packet)
 *
 * The header offsets and the exact-match key's fields come from the layers'
 * declarations (netprobe.packet.matchkey.c_key_table), the link table from
 * netprobe.packet.shape (c_link_table): both blocks are generated text, and
 * tests compare them with their source.
 *
 * Built at install time (pyproject.toml, ext-modules, optional): where it
 * cannot be built, the engine builds and keys packets one by one in Python.
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

/* Reads one varying field's tuple (offset, size, shift, bits, values) into *v;
 * 0 on success (values then holds a buffer to release), -1 with an exception
 * set and no buffer held. */
static int
parse_varying(PyObject *vt, long long radix, Py_ssize_t len, varying_t *v, Py_buffer *values)
{
    long long off, size;
    int shift, bits;
    if (!PyArg_ParseTuple(vt, "LLiiy*", &off, &size, &shift, &bits, values))
        return -1;
    if (off < 0 || size < 1 || size > 8 || off + size > len || shift < 0 || bits < 1
        || shift + bits > 64 || values->len % 8 != 0 || values->len / 8 < radix) {
        PyErr_SetString(PyExc_ValueError, "stamp: bad varying field");
        PyBuffer_Release(values);
        return -1;
    }
    v->offset = off;
    v->size = size;
    v->shift = shift;
    v->bits = bits;
    v->values = values->buf;
    v->nvalues = values->len / 8;
    return 0;
}

/* Reads one checksum's tuple (offset, base, words, zero_as_ffff) into *c;
 * 0 on success, -1 with an exception set. */
static int
parse_checksum(PyObject *ct, Py_ssize_t len, checksum_t *c)
{
    long long off;
    unsigned cbase;
    PyObject *words;
    int zero;
    if (!PyArg_ParseTuple(ct, "LIO!p", &off, &cbase, &PyTuple_Type, &words, &zero))
        return -1;
    Py_ssize_t nw = PyTuple_GET_SIZE(words);
    if (off < 0 || off + 2 > len || nw > MAX_WORDS) {
        PyErr_SetString(PyExc_ValueError, "stamp: bad checksum");
        return -1;
    }
    c->offset = off;
    c->base = cbase & 0xFFFF;
    c->nwords = nw;
    c->zero_as_ffff = zero;
    for (Py_ssize_t w = 0; w < nw; w++) {
        Py_ssize_t at = PyLong_AsSsize_t(PyTuple_GET_ITEM(words, w));
        if (at == -1 && PyErr_Occurred())
            return -1;
        if (at < 0 || at + 2 > len) {
            PyErr_SetString(PyExc_ValueError, "stamp: checksum word out of range");
            return -1;
        }
        c->words[w] = at;
    }
    return 0;
}

/* Writes the value of digit into field v of row (whole bytes, or bits within them). */
static void
put_varying(unsigned char *row, const varying_t *v, long long digit)
{
    uint64_t val = v->values[digit];
    if (v->bits == 8 * v->size) {
        for (Py_ssize_t i = 0; i < v->size; i++)
            row[v->offset + i] = (unsigned char)(val >> (8 * (v->size - 1 - i)));
        return;
    }
    uint64_t unit = 0;
    for (Py_ssize_t i = 0; i < v->size; i++)
        unit = (unit << 8) | row[v->offset + i];
    uint64_t mask = (v->bits == 64 ? ~(uint64_t)0 : (((uint64_t)1 << v->bits) - 1)) << v->shift;
    unit = (unit & ~mask) | ((val << v->shift) & mask);
    for (Py_ssize_t i = 0; i < v->size; i++)
        row[v->offset + i] = (unsigned char)(unit >> (8 * (v->size - 1 - i)));
}

/* Updates checksum c of row incrementally from the base packet b (RFC 1624). */
static void
put_checksum(unsigned char *row, const unsigned char *b, const checksum_t *c)
{
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
        if (parse_varying(PyTuple_GET_ITEM(varying, k), rad[k], len, &vs[k], &vbufs[k]))
            goto done;
        nbufs++;  /* the values buffer is held until the end */
    }
    for (Py_ssize_t k = 0; k < nc; k++)
        if (parse_checksum(PyTuple_GET_ITEM(checksums, k), len, &cs[k]))
            goto done;
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
        for (Py_ssize_t k = 0; k < nv; k++)
            put_varying(row, &vs[k], digit[k]);
        for (Py_ssize_t k = 0; k < nc; k++)
            put_checksum(row, b, &cs[k]);
    }
done:
    for (Py_ssize_t k = 0; k < nbufs; k++)
        PyBuffer_Release(&vbufs[k]);
    PyBuffer_Release(&base);
    return out;
}

/* generated from netprobe.packet.matchkey (c_key_table()): do not edit */
#define HEADER_WORD 4
#define PROTO_TCP 6
#define MULTICAST6_FIRST 0xff
#define IP4_HEADER 20
#define IP4_VERSION 0
#define IP4_FIRST 0x45
#define IP4_LEN 2
#define IP4_FRAG 6
#define IP4_FRAG_MASK 0x3fff
#define IP4_PROTO 9
#define IP4_SRC 12
#define IP4_DST 16
#define IP6_HEADER 40
#define IP6_VERSION 0
#define IP6_VERSION_SHIFT 4
#define IP6_VERSION_VALUE 6
#define IP6_PLEN 4
#define IP6_NH 6
#define IP6_DST 24
#define TCP_HEADER 20
#define TCP_SPORT 0
#define TCP_DPORT 2
#define TCP_DATAOFS 12
#define TCP_DATAOFS_SHIFT 4
#define TCP_FLAGS 13
#define TCP_SYN 0x2
#define TCP_ACK 0x10
#define TCP_BARE 0x2
#define TCP_BARE_UNLESS 0x10
#define KEY_ACK_SIZE 4
#define KEY4_PREFIX 8
#define KEY4_ACK_AT 28
#define KEY4_SEQ_AT 24
#define KEY6_PREFIX 36
#define KEY6_ACK_AT 48
#define KEY6_SEQ_AT 44
/* the IPv4 key's fields: (offset in the answer, offset in the probe, length)
 * from the IP header's start, in key order (netprobe.packet.matchkey.KeyPart,
 * for the probes' keys); the answer's bytes of each key, adjacent fields
 * joined (KeyLayout.answer_runs) */
typedef struct { int answer_at, probe_at, size; } key_part_t;
typedef struct { int at, size; } key_run_t;
static const key_part_t key4_parts[] = {
    {12, 16, 4},
    {20, 22, 2},
    {22, 20, 2},
};
static const key_run_t key4_runs[] = {
    {12, 4},
    {20, 4},
};
static const key_run_t key6_runs[] = {
    {8, 36},
};
/* end of generated text */

/* the big-endian 16-bit word at p */
static inline unsigned
be16(const unsigned char *p)
{
    return (unsigned)p[0] << 8 | p[1];
}

/* the big-endian 32-bit word at p, and v written there */
static inline uint32_t
be32(const unsigned char *p)
{
    return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
}

static inline void
put_be32(unsigned char *p, uint32_t v)
{
    p[0] = (unsigned char)(v >> 24);
    p[1] = (unsigned char)(v >> 16);
    p[2] = (unsigned char)(v >> 8);
    p[3] = (unsigned char)v;
}

#define KEY4_PARTS (sizeof key4_parts / sizeof key4_parts[0])
#define KEY4_RUNS (sizeof key4_runs / sizeof key4_runs[0])
#define KEY6_RUNS (sizeof key6_runs / sizeof key6_runs[0])

_Static_assert(KEY_ACK_SIZE == 4, "the key's acknowledgement number is a uint32_t");

/* a probe's strict key into k (its IP header at ip, TCP at ip + tcp_at): the parts read
 * at the probe's offsets, and the sequence number + 1 when it is a SYN; returns the
 * key's length */
static inline __attribute__((always_inline)) Py_ssize_t
probe_key(const unsigned char *ip, int tcp_at, const key_part_t *parts, size_t nparts,
          int seq_at, unsigned char *k)
{
    Py_ssize_t size = 0;
#pragma GCC unroll 8
    for (size_t j = 0; j < nparts; j++) {
        memcpy(k + size, ip + parts[j].probe_at, parts[j].size);
        size += parts[j].size;
    }
    if (ip[tcp_at + TCP_FLAGS] & TCP_SYN) {
        put_be32(k + size, be32(ip + seq_at) + 1);
        size += KEY_ACK_SIZE;
    }
    return size;
}

/* an answer's strict key into k (its IP header at ip, its TCP header at tcp, a plain
 * segment): the parts read at the answer's offsets (joined in runs), and the acknowledgement number
 * when it carries ACK; 0 for a bare SYN, which answers nothing */
static inline __attribute__((always_inline)) Py_ssize_t
answer_key(const unsigned char *ip, const unsigned char *tcp, const key_run_t *runs,
           size_t nruns, int ack_at, unsigned char *k)
{
    unsigned flags = tcp[TCP_FLAGS];
    if ((flags & TCP_BARE) && !(flags & TCP_BARE_UNLESS))
        return 0;
    Py_ssize_t size = 0;
#pragma GCC unroll 8
    for (size_t j = 0; j < nruns; j++) {
        memcpy(k + size, ip + runs[j].at, runs[j].size);
        size += runs[j].size;
    }
    if (flags & TCP_ACK) {
        memcpy(k + size, ip + ack_at, KEY_ACK_SIZE);
        size += KEY_ACK_SIZE;
    }
    return size;
}

static PyObject *
ipv4_keys(PyObject *self, PyObject *args)
{
    Py_buffer raw;
    Py_ssize_t width, ip;
    if (!PyArg_ParseTuple(args, "y*nn", &raw, &width, &ip))
        return NULL;
    PyObject *keys = NULL, *stricts = NULL, *result = NULL;
    if (width <= 0 || ip < 0 || ip + IP4_HEADER + TCP_DPORT + 2 > width
        || raw.len % width != 0) {
        PyErr_SetString(PyExc_ValueError, "ipv4_keys: rows too short for IPv4 + ports");
        goto done;
    }
    Py_ssize_t n = raw.len / width;
    keys = PyList_New(n);
    stricts = PyList_New(n);
    if (keys == NULL || stricts == NULL)
        goto done;
    const unsigned char *p = raw.buf;
    Py_ssize_t t = ip + IP4_HEADER;
    for (Py_ssize_t i = 0; i < n; i++) {
        const unsigned char *row = p + i * width;
        unsigned char k[KEY4_PREFIX + KEY_ACK_SIZE];
        /* the fast path's hash key: addresses and ports xored, the protocol between */
        for (int j = 0; j < 4; j++)
            k[j] = row[ip + IP4_SRC + j] ^ row[ip + IP4_DST + j];
        k[4] = row[ip + IP4_PROTO];
        k[5] = row[t + TCP_SPORT] ^ row[t + TCP_DPORT];
        k[6] = row[t + TCP_SPORT + 1] ^ row[t + TCP_DPORT + 1];
        PyObject *key = PyBytes_FromStringAndSize((const char *)k, 7);
        if (key == NULL)
            goto done;
        PyList_SET_ITEM(keys, i, key);
        PyObject *strict;
        if (row[ip + IP4_PROTO] == PROTO_TCP && ip + IP4_HEADER + TCP_HEADER <= width
            && (row[t + TCP_DATAOFS] >> TCP_DATAOFS_SHIFT) * HEADER_WORD >= TCP_HEADER) {
            Py_ssize_t size = probe_key(row + ip, IP4_HEADER, key4_parts, KEY4_PARTS,
                                        KEY4_SEQ_AT, k);
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
        unsigned char k[KEY6_PREFIX + KEY_ACK_SIZE];
        Py_ssize_t size = 0;
        if ((Py_ssize_t)off + (Py_ssize_t)caplen <= buf.len
            && caplen >= (uint32_t)base + IP4_HEADER + TCP_HEADER) {
            const unsigned char *f = a + off;
            const unsigned char *h = f + base;
            int v4 = version != 6, v6 = version != 4;
            if (et >= 0) {
                unsigned type = be16(f + et);
                v4 = v4 && type == ETHERTYPE_IPV4;
                v6 = v6 && type == ETHERTYPE_IPV6;
            }
            if (v4 && h[IP4_VERSION] == IP4_FIRST && h[IP4_PROTO] == PROTO_TCP
                && (be16(h + IP4_FRAG) & IP4_FRAG_MASK) == 0) {
                unsigned tl = be16(h + IP4_LEN);
                const unsigned char *tcp = h + IP4_HEADER;
                unsigned thl = (unsigned)(tcp[TCP_DATAOFS] >> TCP_DATAOFS_SHIFT) * HEADER_WORD;
                if (tl >= IP4_HEADER + TCP_HEADER && base + tl <= caplen && thl >= TCP_HEADER
                    && IP4_HEADER + thl <= tl)
                    size = answer_key(h, tcp, key4_runs, KEY4_RUNS, KEY4_ACK_AT, k);
            } else if (v6 && caplen >= (uint32_t)base + IP6_HEADER + TCP_HEADER
                       && h[IP6_VERSION] >> IP6_VERSION_SHIFT == IP6_VERSION_VALUE
                       && h[IP6_NH] == PROTO_TCP) {
                unsigned plen = be16(h + IP6_PLEN);
                const unsigned char *tcp = h + IP6_HEADER;
                unsigned thl = (unsigned)(tcp[TCP_DATAOFS] >> TCP_DATAOFS_SHIFT) * HEADER_WORD;
                if (plen >= TCP_HEADER && base + IP6_HEADER + plen <= caplen
                    && thl >= TCP_HEADER && thl <= plen)
                    size = answer_key(h, tcp, key6_runs, KEY6_RUNS, KEY6_ACK_AT, k);
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
    "Batch operations on packet bytes for the engine's hot paths (what the "
    "per-packet Python path does, a whole batch per call).",
    -1, methods,
};

PyMODINIT_FUNC
PyInit__batch(void)
{
    return PyModule_Create(&module);
}
