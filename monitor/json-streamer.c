/*
 * Where one JSON value ends in a byte stream.
 *
 * json-glib parses a complete document; a QMP client sends a stream, with
 * several commands in one read or one command split over many.  So, as
 * QEMU's lexer does, we follow strings (both quote kinds: json-glib, like
 * QEMU, accepts 'single-quoted' ones) and count brackets; a value is
 * complete when its brackets close.  A top-level scalar ("x", 1, junk)
 * ends at whitespace or the next bracket.
 *
 * A value over JSON_MAX_MESSAGE_SIZE bytes or JSON_MAX_NESTING levels is
 * not kept: the rest of it is skipped (still following strings and
 * brackets) and it gets one error when it ends, so the stream stays in
 * step.  A stray closing bracket gets an error of its own.
 */
#include "monitor/monitor-internal.h"
#include "qemu/error-report.h"

#include <string.h>

struct JSONMessageParser {
    JSONMessageEmit *emit;
    void *opaque;
    GString *buf;           /* the value being collected */
    bool active;            /* inside a value */
    bool scalar;            /* ... a top-level scalar (no brackets) */
    int64_t depth;          /* open { and [ (skipped ones too: no overflow) */
    char quote;             /* inside a string: its quote character */
    bool escape;            /* the last character was a '\' in a string */
    const char *skip_why;   /* over a limit: skipping to the value's end */
};

JSONMessageParser *json_message_parser_new(JSONMessageEmit *emit, void *opaque)
{
    JSONMessageParser *p = g_new0(JSONMessageParser, 1);

    p->emit = emit;
    p->opaque = opaque;
    p->buf = g_string_new(NULL);
    return p;
}

void json_message_parser_reset(JSONMessageParser *p)
{
    g_string_truncate(p->buf, 0);
    p->active = p->scalar = p->escape = false;
    p->depth = 0;
    p->quote = 0;
    p->skip_why = NULL;
}

void json_message_parser_free(JSONMessageParser *p)
{
    if (p) {
        g_string_free(p->buf, true);
        g_free(p);
    }
}

static void emit_error(JSONMessageParser *p, const char *fmt, ...)
    G_GNUC_PRINTF(2, 3);

static void emit_error(JSONMessageParser *p, const char *fmt, ...)
{
    g_autoptr(GError) err = NULL;
    g_autofree char *msg = NULL;
    va_list ap;

    va_start(ap, fmt);
    msg = g_strdup_vprintf(fmt, ap);
    va_end(ap);
    error_setg(&err, "%s", msg);
    p->emit(p->opaque, NULL, err);
}

/* json-glib says "<data>:1:8: Parse error: unexpected ..." */
static const char *parse_error_text(const GError *err)
{
    const char *s = strstr(err->message, "Parse error: ");

    return s ? s + strlen("Parse error: ") : err->message;
}

static void parse_and_emit(JSONMessageParser *p)
{
    g_autoptr(JsonParser) parser = NULL;
    g_autoptr(GError) err = NULL;

    if (!g_utf8_validate(p->buf->str, p->buf->len, NULL)) {
        /* also catches NUL bytes, which json-glib would cut strings at */
        emit_error(p, "JSON parse error, invalid UTF-8 sequence");
        return;
    }
    parser = json_parser_new();
    if (!json_parser_load_from_data(parser, p->buf->str, p->buf->len, &err)) {
        emit_error(p, "JSON parse error, %s", parse_error_text(err));
        return;
    }
    if (!json_parser_get_root(parser)) {
        /* json-glib takes a lone comment as an empty document */
        emit_error(p, "JSON parse error, expecting value");
        return;
    }
    p->emit(p->opaque, json_parser_get_root(parser), NULL);
}

static void finish(JSONMessageParser *p)
{
    const char *why = p->skip_why;

    if (why) {
        json_message_parser_reset(p);
        emit_error(p, "%s", why);
        return;
    }
    parse_and_emit(p);
    json_message_parser_reset(p);
}

static void skip_rest(JSONMessageParser *p, const char *why)
{
    p->skip_why = why;
    g_string_truncate(p->buf, 0);
}

/* A byte outside any value: start one, or complain about a stray one. */
static void start(JSONMessageParser *p, char c)
{
    p->active = true;
    p->scalar = !strchr("{[\"'", c);
}

/* A byte inside a structured value or a string. */
static void track(JSONMessageParser *p, char c)
{
    if (p->quote) {
        if (p->escape) {
            p->escape = false;
        } else if (c == '\\') {
            p->escape = true;
        } else if (c == p->quote) {
            p->quote = 0;
        }
    } else if (c == '"' || c == '\'') {
        p->quote = c;
    } else if (c == '{' || c == '[') {
        p->depth++;
    } else if (c == '}' || c == ']') {
        p->depth--;
    }
}

static bool is_space(char c)
{
    return c == ' ' || c == '\t' || c == '\r' || c == '\n';
}

void json_message_parser_feed(JSONMessageParser *p, const char *buf,
                              size_t len)
{
    for (size_t i = 0; i < len; i++) {
        char c = buf[i];

        if (!p->active) {
            if (is_space(c)) {
                continue;
            }
            if (c == '}' || c == ']') {
                emit_error(p, "JSON parse error, expecting value");
                continue;
            }
            start(p, c);
        }
        if (p->scalar) {
            if (is_space(c) || strchr("{}[]\"'", c)) {
                finish(p);
                i--;            /* c begins what comes next */
                continue;
            }
        } else {
            track(p, c);
        }
        if (!p->skip_why) {
            g_string_append_c(p->buf, c);
            if (p->buf->len > JSON_MAX_MESSAGE_SIZE) {
                skip_rest(p, "JSON message size limit exceeded");
            } else if (p->depth > JSON_MAX_NESTING) {
                skip_rest(p, "JSON nesting depth limit exceeded");
            }
        }
        if (!p->scalar && p->depth == 0 && !p->quote) {
            finish(p);
        }
    }
}
