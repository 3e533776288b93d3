// C interface over simdjson's DOM parser: flattens one JSON object into a list of leaf
// events with dotted paths, so Swift never touches C++ types.
#ifndef LP_JSON_H
#define LP_JSON_H
#include <stddef.h>
#include <stdint.h>
#ifdef __cplusplus
extern "C" {
#endif

enum lp_kind {
    LP_OBJECT = 1,   // an object (possibly empty) starts at this path
    LP_STRING = 2,
    LP_INT = 3,      // fits in int64
    LP_UINT = 4,     // above int64's range
    LP_DOUBLE = 5,
    LP_TRUE = 6,
    LP_FALSE = 7,
    LP_NULL = 8,
    LP_ARRAY = 9     // an array starts at this path (elements follow with the same path)
};

typedef struct lp_event {
    uint32_t kind;
    uint32_t path_off;   // into the arena
    uint32_t path_len;
    uint32_t str_off;    // strings: into the arena
    uint32_t str_len;
    uint32_t depth;      // object nesting depth of the leaf
    int64_t i;
    double d;
} lp_event;

typedef struct lp_json_parser lp_json_parser;

lp_json_parser *lp_json_parser_new(void);
void lp_json_parser_free(lp_json_parser *p);

// Parses buf[0..len) which must be one JSON object. On success returns 0 and sets the
// outputs (valid until the next call on this parser). On failure returns a non-zero code and
// lp_json_error_message(code) says why.
int lp_json_flatten(lp_json_parser *p, const char *buf, size_t len,
                    const lp_event **events, size_t *count, const uint8_t **arena);

const char *lp_json_error_message(int code);

// Code returned when the document is valid JSON but not an object.
#define LP_ERR_NOT_OBJECT 1000

#ifdef __cplusplus
}
#endif
#endif

#ifdef __cplusplus
extern "C" {
#endif
/// Returns freed heap pages to the system (glibc malloc_trim); a no-op elsewhere.
void lp_release_free_memory(void);
/* Tunes the C allocator for a long-running server with large short-lived buffers. */
void lp_configure_allocator(void);

// CRC-32 (zlib's polynomial) of the longest prefix of buf that is at least 64 bytes and a
// multiple of 16, folded with carry-less multiplication (PCLMULQDQ); *crc is zlib's running
// value, updated. Returns the bytes consumed: 0 when len < 64 or the CPU lacks the
// instructions. The caller finishes the rest with zlib's crc32.
size_t lp_crc32_fold(uint32_t *crc, const uint8_t *buf, size_t len);
/* Names the calling thread for the operating system (at most 15 bytes are kept). */
void lp_set_thread_name(const char *name);
#ifdef __cplusplus
}
#endif
