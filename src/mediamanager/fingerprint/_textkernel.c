/* Native kernel of the text fingerprint (mediamanager.fingerprint.text): distinct shingles per window.
 *
 *  distinct_counts(hashes u64[], start i64[m], end i64[m], out u32[m])
 *      out[w] = number of distinct (h >> 24) among hashes[start[w]:end[w]]: the set size stored beside
 *      each passage's MinHash. NumPy can only do this by sorting every window's shingles (a third of
 *      the fingerprint's time with query probes); one small hash table per window is linear.
 *
 * Our own code because no kept library counts distinct values per range of a buffer (rensa and
 * datasketch hash, they do not count). tests/fingerprint/test_text_native.py checks it against the
 * NumPy sort on real texts.
 */
#define PY_SSIZE_T_CLEAN
#include <Python.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

static int get(PyObject *obj, Py_buffer *view, Py_ssize_t itemsize, int writable, const char *name) {
    if (PyObject_GetBuffer(obj, view, PyBUF_C_CONTIGUOUS | (writable ? PyBUF_WRITABLE : 0)) < 0)
        return -1;
    if (view->len % itemsize != 0) {
        PyErr_Format(PyExc_ValueError, "%s: buffer length is not a multiple of %zd", name, itemsize);
        PyBuffer_Release(view);
        return -1;
    }
    return 0;
}

static PyObject *distinct_counts(PyObject *self, PyObject *args) {
    PyObject *o[4];
    Py_buffer v[4];
    const char *names[4] = {"hashes", "start", "end", "out"};
    const Py_ssize_t sizes[4] = {8, 8, 8, 4};
    if (!PyArg_ParseTuple(args, "OOOO", &o[0], &o[1], &o[2], &o[3])) return NULL;
    int got = 0;
    uint64_t *table = NULL;
    for (; got < 4; got++)
        if (get(o[got], &v[got], sizes[got], got == 3, names[got]) < 0) goto fail;
    const uint64_t *h = v[0].buf;
    const int64_t *start = v[1].buf, *end = v[2].buf;
    uint32_t *out = v[3].buf;
    Py_ssize_t n = v[0].len / 8, m = v[1].len / 8, longest = 0;
    if (v[2].len != v[1].len || v[3].len / 4 != m) {
        PyErr_SetString(PyExc_ValueError, "distinct_counts: inconsistent buffer sizes");
        goto fail;
    }
    for (Py_ssize_t w = 0; w < m; w++) {
        if (start[w] < 0 || start[w] > end[w] || end[w] > n) {
            PyErr_SetString(PyExc_ValueError, "distinct_counts: range out of bounds");
            goto fail;
        }
        if (end[w] - start[w] > longest) longest = end[w] - start[w];
    }
    size_t cap = 16;
    while (cap < (size_t)longest * 2) cap <<= 1;
    table = malloc(cap * sizeof(uint64_t));
    if (table == NULL) {
        PyErr_NoMemory();
        goto fail;
    }
    Py_BEGIN_ALLOW_THREADS
    for (Py_ssize_t w = 0; w < m; w++) {
        /* open addressing on the 40-bit key + 1 (0 marks an empty slot); table sized for this window */
        size_t c = 16;
        while (c < (size_t)(end[w] - start[w]) * 2) c <<= 1;
        memset(table, 0, c * sizeof(uint64_t));
        uint32_t count = 0;
        for (int64_t i = start[w]; i < end[w]; i++) {
            uint64_t key = (h[i] >> 24) + 1;
            size_t slot = (size_t)((key * 0x9E3779B97F4A7C15ULL) >> 20) & (c - 1);
            while (table[slot] != 0 && table[slot] != key) slot = (slot + 1) & (c - 1);
            if (table[slot] == 0) {
                table[slot] = key;
                count++;
            }
        }
        out[w] = count;
    }
    Py_END_ALLOW_THREADS
    free(table);
    for (int i = 0; i < 4; i++) PyBuffer_Release(&v[i]);
    Py_RETURN_NONE;
fail:
    free(table);
    for (int i = 0; i < got; i++) PyBuffer_Release(&v[i]);
    return NULL;
}

static PyMethodDef methods[] = {
    {"distinct_counts", distinct_counts, METH_VARARGS, "Distinct (h >> 24) values per range of hashes."},
    {NULL, NULL, 0, NULL},
};

static struct PyModuleDef module = {PyModuleDef_HEAD_INIT, "_textkernel", NULL, -1, methods};

PyMODINIT_FUNC PyInit__textkernel(void) { return PyModule_Create(&module); }
