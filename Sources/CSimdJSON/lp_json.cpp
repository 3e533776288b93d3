// simdjson DOM walk that emits flat events; see include/lp_json.h.
#include "lp_json.h"
#include <simdjson.h>
#include <string>
#include <vector>

struct lp_json_parser {
    simdjson::dom::parser parser;
    std::vector<lp_event> events;
    std::string arena;
    std::string path;
};

extern "C" lp_json_parser *lp_json_parser_new(void) {
    try { return new lp_json_parser(); } catch (...) { return nullptr; }
}

extern "C" void lp_json_parser_free(lp_json_parser *p) { delete p; }

static uint32_t put(lp_json_parser *p, const char *s, size_t n) {
    uint32_t off = (uint32_t)p->arena.size();
    p->arena.append(s, n);
    return off;
}

static void emit(lp_json_parser *p, uint32_t kind, uint32_t pathOff, uint32_t depth, lp_event &e) {
    e.kind = kind;
    e.path_off = pathOff;
    e.path_len = (uint32_t)p->path.size();
    e.depth = depth;
    p->events.push_back(e);
}

static void walk(lp_json_parser *p, simdjson::dom::element el, uint32_t depth) {
    using namespace simdjson;
    lp_event e{};
    // Each event records its own copy of the path so Swift can slice it directly.
    switch (el.type()) {
    case dom::element_type::OBJECT: {
        uint32_t po = put(p, p->path.data(), p->path.size());
        emit(p, LP_OBJECT, po, depth, e);
        size_t base = p->path.size();
        for (auto field : dom::object(el)) {
            if (base) p->path.push_back('.');
            p->path.append(field.key.data(), field.key.size());
            walk(p, field.value, depth + 1);
            p->path.resize(base);
        }
        return;
    }
    case dom::element_type::ARRAY: {
        uint32_t po = put(p, p->path.data(), p->path.size());
        emit(p, LP_ARRAY, po, depth, e);
        for (auto child : dom::array(el)) walk(p, child, depth);
        return;
    }
    case dom::element_type::STRING: {
        std::string_view sv = el.get_string().value_unsafe();
        e.str_off = put(p, sv.data(), sv.size());
        e.str_len = (uint32_t)sv.size();
        uint32_t po = put(p, p->path.data(), p->path.size());
        emit(p, LP_STRING, po, depth, e);
        return;
    }
    case dom::element_type::INT64: {
        e.i = el.get_int64().value_unsafe();
        e.d = (double)e.i;
        uint32_t po = put(p, p->path.data(), p->path.size());
        emit(p, LP_INT, po, depth, e);
        return;
    }
    case dom::element_type::UINT64: {
        e.d = (double)el.get_uint64().value_unsafe();
        uint32_t po = put(p, p->path.data(), p->path.size());
        emit(p, LP_UINT, po, depth, e);
        return;
    }
    case dom::element_type::DOUBLE: {
        e.d = el.get_double().value_unsafe();
        uint32_t po = put(p, p->path.data(), p->path.size());
        emit(p, LP_DOUBLE, po, depth, e);
        return;
    }
    case dom::element_type::BOOL: {
        uint32_t po = put(p, p->path.data(), p->path.size());
        emit(p, el.get_bool().value_unsafe() ? LP_TRUE : LP_FALSE, po, depth, e);
        return;
    }
    case dom::element_type::NULL_VALUE: {
        uint32_t po = put(p, p->path.data(), p->path.size());
        emit(p, LP_NULL, po, depth, e);
        return;
    }
    }
}

extern "C" int lp_json_flatten(lp_json_parser *p, const char *buf, size_t len,
                               const lp_event **events, size_t *count, const uint8_t **arena) {
    try {
        p->events.clear();
        p->arena.clear();
        p->path.clear();
        simdjson::dom::element root;
        auto err = p->parser.parse(buf, len, true).get(root);
        if (err) return (int)err;
        if (root.type() != simdjson::dom::element_type::OBJECT) return LP_ERR_NOT_OBJECT;
        walk(p, root, 0);
        *events = p->events.data();
        *count = p->events.size();
        *arena = (const uint8_t *)p->arena.data();
        return 0;
    } catch (...) {
        return (int)simdjson::UNEXPECTED_ERROR;
    }
}

extern "C" const char *lp_json_error_message(int code) {
    if (code == LP_ERR_NOT_OBJECT) return "the document is not a JSON object";
    return simdjson::error_message((simdjson::error_code)code);
}

#if defined(__GLIBC__)
#include <malloc.h>
#include <pthread.h>
#include <string.h>
extern "C" void lp_release_free_memory(void) { malloc_trim(0); }
/* A fixed mmap threshold: glibc otherwise raises it after each freed large block, so the
   write buffers and merge outputs (megabytes, short-lived) end up in heaps that are not
   returned to the system. 8 MB: only those buffers; smaller per-query arrays stay in the heap
   (measured, 1M documents: with 1 MB, match_all count took 5.7 ms and a terms aggregation
   13.2 ms; with 8 MB, 1.8 ms and 9.0 ms; ingest peak RSS 147 and 170 MB). */
extern "C" void lp_configure_allocator(void) {
    mallopt(M_MMAP_THRESHOLD, 8 * 1024 * 1024);
    /* M_TRIM_THRESHOLD 4 MB instead of glibc's 128 KB: a page of 500 hits (a 420 KB response,
       built in buffers that double) gave its heap top back after every request and faulted it
       in again on the next, about a third of the request's time (issue 17, "the newest 500 of
       the last 15 minutes", 1M records over 30 days, two rounds alternating: 2.40/1.74 ms at
       128 KB, 1.58/1.44 at 4 MB, 1.31/1.33 at 8 MB). Larger thresholds cost memory: measured
       on 1M documents before, 32 MB ingested faster but per-thread arenas kept their freed
       tops: ingest peak 208 MB instead of 179, idle 128 MB instead of 67; 8 MB: 191 and 86 MB.
       32 MB with M_ARENA_MAX 1: 62.8k docs/s (one lock), 200 and 87 MB. */
    mallopt(M_TRIM_THRESHOLD, 4 * 1024 * 1024);
}
extern "C" void lp_set_thread_name(const char *name) {
    char n[16];
    strncpy(n, name, 15); n[15] = 0;
    pthread_setname_np(pthread_self(), n);
}
#else
extern "C" void lp_set_thread_name(const char *name) { (void)name; }
extern "C" void lp_release_free_memory(void) {}
extern "C" void lp_configure_allocator(void) {}
#endif
