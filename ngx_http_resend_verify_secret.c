
/*
 * Copyright (C) ngx_http_resend_verify_module authors
 *
 * Secrets written inline in nginx.conf (resend_verify_access_key_secret,
 * resend_verify_security_token).
 *
 * The value is a complex value, as for any directive, and is wiped when
 * the configuration that holds it goes (a reload, the exit).
 *
 * nginx keeps two more copies of the text it parsed: the read buffer of
 * each file (freed, not wiped, at the end of the file), and, in a build
 * --with-debug (Debian's is) or under "nginx -T", the configuration dump:
 * the whole text of every file, kept in the cycle's pool by every process
 * for as long as the configuration lives.  When the directive is read, the
 * secret's bytes are overwritten with '*' in both, so neither the memory of the processes nor the
 * output of "nginx -T" holds them.  What stays: the directive's argument
 * itself (the value in use), and a secret given with "nginx -g" (nginx
 * parses that text again on every reload, and the command line is in
 * /proc anyway).
 */


#include <ngx_config.h>
#include <ngx_core.h>
#include <ngx_http.h>

#include "ngx_http_resend_verify_secret.h"


static void ngx_http_resend_verify_wipe(void *data);


char *
ngx_http_resend_verify_secret_slot(ngx_conf_t *cf, ngx_command_t *cmd,
    void *conf)
{
    char  *p = conf;

    char                       *rv;
    size_t                      k;
    u_char                     *q, *found;
    ngx_buf_t                  *b, *dump;
    ngx_str_t                  *value;
    ngx_conf_file_t            *file;
    ngx_pool_cleanup_t         *cln;
    ngx_http_complex_value_t  **cv;

    rv = ngx_http_set_complex_value_slot(cf, cmd, conf);

    if (rv != NGX_CONF_OK) {
        return rv;
    }

    cv = (ngx_http_complex_value_t **) (p + cmd->offset);

    cln = ngx_pool_cleanup_add(cf->pool, 0);
    if (cln == NULL) {
        return NGX_CONF_ERROR;
    }

    /* without variables, the value is the directive's argument itself */

    cln->handler = ngx_http_resend_verify_wipe;
    cln->data = &(*cv)->value;

    value = &(*cv)->value;
    file = cf->conf_file;

    if ((*cv)->lengths != NULL
        || value->len == 0
        || file == NULL
        || file->file.fd == NGX_INVALID_FILE)
    {
        /* a variable's name, or "nginx -g": nothing to mask */
        return NGX_CONF_OK;
    }

    /*
     * The token just read ends before b->pos: nginx moves a token that
     * spans two reads to the buffer's start.  What the buffer holds after
     * b->pos is not parsed yet and is left alone.
     */

    b = file->buffer;
    found = NULL;

    if ((size_t) (b->pos - b->start) >= value->len) {

        for (q = b->pos - value->len; /* void */; q--) {

            if (ngx_memcmp(q, value->data, value->len) == 0) {
                found = q;
                break;
            }

            if (q == b->start) {
                break;
            }
        }
    }

    if (found == NULL) {
        ngx_conf_log_error(NGX_LOG_WARN, cf, 0,
                           "the value of \"%V\" is written with escapes: "
                           "its text stays in the memory nginx keeps of "
                           "the configuration", &cmd->name);
        return NGX_CONF_OK;
    }

    /* the dump holds every byte read so far: b->last is its end */

    dump = file->dump;

    if (dump && dump->last - dump->start >= b->last - found) {
        q = dump->last - (b->last - found);

        if (ngx_memcmp(q, value->data, value->len) == 0) {
            ngx_memset(q, '*', value->len);
        }
    }

    ngx_memset(found, '*', value->len);

    /*
     * A token moved to the buffer's start left its first bytes at the end
     * of the buffer, where the next read may not have reached.  That can
     * only be in a file larger than the buffer, which was filled whole
     * before: in a smaller one, the bytes after b->last were never written.
     */

    if (ngx_file_size(&file->file.info) <= (off_t) (b->end - b->start)) {
        return NGX_CONF_OK;
    }

    for (k = ngx_min(value->len - 1, (size_t) (b->end - b->last)); k; k--) {
        if (ngx_memcmp(b->end - k, value->data, k) == 0) {
            ngx_memset(b->end - k, '*', k);
            break;
        }
    }

    return NGX_CONF_OK;
}


static void
ngx_http_resend_verify_wipe(void *data)
{
    ngx_str_t  *s = data;

    if (s->data && s->len) {
        ngx_explicit_memzero(s->data, s->len);
    }
}
