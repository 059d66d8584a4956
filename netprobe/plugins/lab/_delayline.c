/* The lab's delay line in C: relay frames between two packet sockets, each one
 * held for its delay before it goes out (netprobe.plugins.lab.delayline).
 *
 *   relay(fd_a, fd_b, delay_ab_ns, jitter_ab_ns, delay_ba_ns, jitter_ba_ns,
 *         seed, max_frames, max_seconds) -> (forwarded_ab, forwarded_ba, dropped)
 *
 * fd_a and fd_b are AF_PACKET sockets (non-blocking, PACKET_VNET_HDR on both,
 * so GSO frames and partial checksums cross unchanged). A frame read from fd_a
 * is sent on fd_b once delay_ab +/- jitter_ab (uniform) has passed, and the
 * other way round. Frames of one direction leave in the order they came (a
 * frame is never sent before the one ahead of it), so jitter never reorders.
 * Each direction queues frames in a ring of bytes; a frame that finds it full
 * is dropped, like a router's full queue.
 *
 * Batched: recvmmsg and sendmmsg move up to BATCH frames per system call. Runs
 * without the GIL until max_frames frames were forwarded or max_seconds passed
 * (0: no limit; the lab stops it with SIGTERM).
 *
 * Built at install time (pyproject.toml, ext-modules, optional): where it
 * cannot be built, delayline.py relays in pure Python (slower).
 */
#define _GNU_SOURCE
#define PY_SSIZE_T_CLEAN
#include <Python.h>
#include <errno.h>
#include <poll.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>

#define BATCH 64
#define SLOT (65536 + 64)          /* the largest GSO frame plus its virtio header */
#define RING (8u << 20)            /* bytes queued per direction: ~80k small frames */
#define WRAP 0xffffffffu           /* header length meaning "continue at offset 0" */
#define HDR 16

typedef struct {
    int in_fd, out_fd;
    uint64_t delay, jitter, last_due;
    unsigned char *ring;
    size_t head, tail, count;
    uint64_t forwarded, dropped;
} direction_t;

static uint64_t
now_ns(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

static uint64_t rng_state;

static uint64_t
rng_next(void)
{
    /* xorshift64*: plenty for spreading delays */
    rng_state ^= rng_state >> 12;
    rng_state ^= rng_state << 25;
    rng_state ^= rng_state >> 27;
    return rng_state * 2685821657736338717ull;
}

static size_t
entry_size(uint32_t len)
{
    return HDR + (((size_t)len + 7) & ~(size_t)7);
}

static void
write_entry(direction_t *d, size_t at, uint64_t due, const unsigned char *data, uint32_t len)
{
    memcpy(d->ring + at, &due, 8);
    memcpy(d->ring + at + 8, &len, 4);
    memcpy(d->ring + at + HDR, data, len);
    d->head = at + entry_size(len);
    d->count++;
}

/* Queue one frame; 0 if the ring has no room (the frame is dropped). */
static int
ring_put(direction_t *d, uint64_t due, const unsigned char *data, uint32_t len)
{
    size_t need = entry_size(len);
    if (d->count == 0)
        d->head = d->tail = 0;
    if (d->count == 0 || d->head > d->tail) {
        if (RING - d->head >= need) {
            write_entry(d, d->head, due, data, len);
            return 1;
        }
        if (d->tail > need) {   /* strictly: head must not catch up with tail */
            if (RING - d->head >= HDR) {
                uint32_t wrap = WRAP;
                memcpy(d->ring + d->head + 8, &wrap, 4);
            }
            write_entry(d, 0, due, data, len);
            return 1;
        }
        return 0;
    }
    if (d->tail - d->head > need) {
        write_entry(d, d->head, due, data, len);
        return 1;
    }
    return 0;
}

/* The offset of the entry after the one at ``at`` (following a wrap marker). */
static size_t
normalise(const direction_t *d, size_t at)
{
    if (RING - at < HDR)
        return 0;
    uint32_t len;
    memcpy(&len, d->ring + at + 8, 4);
    return len == WRAP ? 0 : at;
}

/* The due time of the oldest frame, or UINT64_MAX when none waits. */
static uint64_t
next_due(direction_t *d)
{
    if (d->count == 0)
        return UINT64_MAX;
    d->tail = normalise(d, d->tail);
    uint64_t due;
    memcpy(&due, d->ring + d->tail, 8);
    return due;
}

/* Send every frame that is due; 0, or -1 when the socket pushed back (retry soon). */
static int
flush(direction_t *d, uint64_t now)
{
    struct mmsghdr msgs[BATCH];
    struct iovec iovs[BATCH];
    size_t offsets[BATCH + 1];
    for (;;) {
        int n = 0;
        size_t at = d->tail;
        while (n < BATCH && (size_t)n < d->count) {
            at = normalise(d, at);
            uint64_t due;
            uint32_t len;
            memcpy(&due, d->ring + at, 8);
            memcpy(&len, d->ring + at + 8, 4);
            if (due > now)
                break;
            iovs[n].iov_base = d->ring + at + HDR;
            iovs[n].iov_len = len;
            memset(&msgs[n], 0, sizeof msgs[n]);
            msgs[n].msg_hdr.msg_iov = &iovs[n];
            msgs[n].msg_hdr.msg_iovlen = 1;
            offsets[n] = at;
            at += entry_size(len);
            n++;
        }
        offsets[n] = at;
        if (n == 0)
            return 0;
        int sent = sendmmsg(d->out_fd, msgs, (unsigned)n, MSG_DONTWAIT);
        if (sent < 0) {
            if (errno == EAGAIN || errno == EINTR)
                return -1;
            sent = 1;            /* this frame cannot go (too big, peer full): drop it */
            d->dropped++;
        } else {
            d->forwarded += (uint64_t)sent;
        }
        d->tail = offsets[sent];
        d->count -= (size_t)sent;
        if (d->count == 0)
            d->head = d->tail = 0;
        if (sent < n)
            continue;
    }
}

/* Read what waits on d->in_fd (a few batches at most, so sending keeps pace). */
static void
drain(direction_t *d, unsigned char *slots, uint64_t now)
{
    struct mmsghdr msgs[BATCH];
    struct iovec iovs[BATCH];
    for (int round = 0; round < 8; round++) {
        for (int i = 0; i < BATCH; i++) {
            iovs[i].iov_base = slots + (size_t)i * SLOT;
            iovs[i].iov_len = SLOT;
            memset(&msgs[i], 0, sizeof msgs[i]);
            msgs[i].msg_hdr.msg_iov = &iovs[i];
            msgs[i].msg_hdr.msg_iovlen = 1;
        }
        int got = recvmmsg(d->in_fd, msgs, BATCH, MSG_DONTWAIT, NULL);
        if (got <= 0)
            return;
        for (int i = 0; i < got; i++) {
            if (msgs[i].msg_hdr.msg_flags & MSG_TRUNC) {
                d->dropped++;
                continue;
            }
            uint64_t due = now + d->delay;
            if (d->jitter) {
                uint64_t span = 2 * d->jitter + 1;
                due = due + rng_next() % span;
                due = due > d->jitter ? due - d->jitter : 0;
                if (due < now)
                    due = now;
            }
            if (due < d->last_due)
                due = d->last_due;   /* never overtake the frame ahead */
            d->last_due = due;
            if (!ring_put(d, due, slots + (size_t)i * SLOT, msgs[i].msg_len))
                d->dropped++;
        }
        if (got < BATCH)
            return;
    }
}

static PyObject *
relay(PyObject *self, PyObject *args)
{
    int fd_a, fd_b;
    unsigned long long dab, jab, dba, jba, seed, max_frames;
    double max_seconds;
    if (!PyArg_ParseTuple(args, "iiKKKKKKd", &fd_a, &fd_b, &dab, &jab, &dba, &jba, &seed,
                          &max_frames, &max_seconds))
        return NULL;
    direction_t dirs[2] = {
        {.in_fd = fd_a, .out_fd = fd_b, .delay = dab, .jitter = jab},
        {.in_fd = fd_b, .out_fd = fd_a, .delay = dba, .jitter = jba},
    };
    unsigned char *slots = malloc((size_t)BATCH * SLOT);
    dirs[0].ring = malloc(RING);
    dirs[1].ring = malloc(RING);
    if (!slots || !dirs[0].ring || !dirs[1].ring) {
        free(slots);
        free(dirs[0].ring);
        free(dirs[1].ring);
        return PyErr_NoMemory();
    }
    rng_state = seed ? seed : 0x9e3779b97f4a7c15ull;
    int failed = 0;
    Py_BEGIN_ALLOW_THREADS
    uint64_t start = now_ns();
    uint64_t stop = max_seconds > 0 ? start + (uint64_t)(max_seconds * 1e9) : UINT64_MAX;
    for (;;) {
        uint64_t now = now_ns();
        int pushed_back = 0;
        for (int i = 0; i < 2; i++)
            pushed_back |= flush(&dirs[i], now) < 0;
        if (max_frames && dirs[0].forwarded + dirs[1].forwarded >= max_frames)
            break;
        if (now >= stop)
            break;
        uint64_t wake = stop;
        for (int i = 0; i < 2; i++) {
            uint64_t due = next_due(&dirs[i]);
            if (due < wake)
                wake = due;
        }
        if (pushed_back && now + 100000 < wake)
            wake = now + 100000;
        struct pollfd fds[2] = {{fd_a, POLLIN, 0}, {fd_b, POLLIN, 0}};
        struct timespec ts, *timeout = NULL;
        if (wake != UINT64_MAX) {
            uint64_t wait = wake > now ? wake - now : 0;
            ts.tv_sec = (time_t)(wait / 1000000000ull);
            ts.tv_nsec = (long)(wait % 1000000000ull);
            timeout = &ts;
        }
        int ready = ppoll(fds, 2, timeout, NULL);
        if (ready < 0 && errno != EINTR) {
            failed = errno;
            break;
        }
        now = now_ns();
        for (int i = 0; i < 2; i++)
            if (ready > 0 && (fds[i].revents & POLLIN))
                drain(&dirs[i], slots, now);
    }
    Py_END_ALLOW_THREADS
    free(slots);
    free(dirs[0].ring);
    free(dirs[1].ring);
    if (failed) {
        errno = failed;
        return PyErr_SetFromErrno(PyExc_OSError);
    }
    return Py_BuildValue("KKK", (unsigned long long)dirs[0].forwarded,
                         (unsigned long long)dirs[1].forwarded,
                         (unsigned long long)(dirs[0].dropped + dirs[1].dropped));
}

static PyMethodDef methods[] = {
    {"relay", relay, METH_VARARGS,
     "relay(fd_a, fd_b, delay_ab_ns, jitter_ab_ns, delay_ba_ns, jitter_ba_ns, seed, "
     "max_frames, max_seconds) -> (forwarded_ab, forwarded_ba, dropped)"},
    {NULL, NULL, 0, NULL},
};

static struct PyModuleDef module = {
    PyModuleDef_HEAD_INIT, "_delayline",
    "The lab's delay line: frames relayed between two packet sockets after a delay.",
    -1, methods,
};

PyMODINIT_FUNC
PyInit__delayline(void)
{
    return PyModule_Create(&module);
}
