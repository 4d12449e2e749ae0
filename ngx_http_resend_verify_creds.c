
/*
 * Copyright (C) ngx_http_resend_verify_module authors
 *
 * resend_verify_credentials_file: the AccessKey outside nginx.conf, so
 * that "nginx -T" never shows the secret, and rotation needs no reload.
 *
 *     # comments
 *     access_key_id     = LTAI...
 *     access_key_secret = ...
 *     security_token    = ...      (optional, STS)
 */


#include <ngx_config.h>
#include <ngx_core.h>
#include <ngx_http.h>

#include "ngx_http_resend_verify_creds.h"


#define NGX_HTTP_RESEND_VERIFY_CREDS_MAX      65536

/* creds->bad: what was last logged, so that each trouble is logged once */
#define NGX_HTTP_RESEND_VERIFY_CREDS_INVALID  1
#define NGX_HTTP_RESEND_VERIFY_CREDS_GONE     2
#define NGX_HTTP_RESEND_VERIFY_CREDS_NOTREG   3

/* a file changed within this many milliseconds may still be written */
#define NGX_HTTP_RESEND_VERIFY_CREDS_SETTLE   1000


static const char *ngx_http_resend_verify_creds_load(
    ngx_http_resend_verify_creds_t *creds, ngx_log_t *log, ngx_uint_t *line,
    ngx_err_t *syserr, ngx_uint_t *changed);
static void ngx_http_resend_verify_creds_stat(ngx_file_info_t *fi,
    ngx_http_resend_verify_creds_stat_t *st);
static ngx_int_t ngx_http_resend_verify_creds_settled(
    ngx_http_resend_verify_creds_stat_t *st);
static const char *ngx_http_resend_verify_creds_parse(u_char *p, size_t len,
    ngx_str_t *id, ngx_str_t *secret, ngx_str_t *token, ngx_uint_t *line);
static void ngx_http_resend_verify_creds_cleanup(void *data);
static void ngx_http_resend_verify_creds_acs3_init(
    ngx_http_resend_verify_creds_t *creds);


/* the file changed while it was read: try again later */
static const char  ngx_http_resend_verify_creds_busy[] = "is being written";


char *
ngx_http_resend_verify_credentials_file(ngx_conf_t *cf, ngx_command_t *cmd,
    void *conf)
{
    char  *p = conf;

    const char                      *err;
    ngx_err_t                        syserr;
    ngx_str_t                       *value;
    ngx_uint_t                       n, line, changed;
    ngx_file_info_t                  fi;
    ngx_pool_cleanup_t              *cln;
    ngx_http_resend_verify_creds_t  *creds, **field;

    field = (ngx_http_resend_verify_creds_t **) (p + cmd->offset);

    if (*field != NGX_CONF_UNSET_PTR) {
        return "is duplicate";
    }

    value = cf->args->elts;

    creds = ngx_pcalloc(cf->pool, sizeof(ngx_http_resend_verify_creds_t));
    if (creds == NULL) {
        return NGX_CONF_ERROR;
    }

    creds->path = value[1];

    if (ngx_conf_full_name(cf->cycle, &creds->path, 1) != NGX_OK) {
        return NGX_CONF_ERROR;
    }

    cln = ngx_pool_cleanup_add(cf->pool, 0);
    if (cln == NULL) {
        return NGX_CONF_ERROR;
    }

    cln->handler = ngx_http_resend_verify_creds_cleanup;
    cln->data = creds;

    for (n = 0; n < 3; n++) {
        err = ngx_http_resend_verify_creds_load(creds, cf->log, &line,
                                                &syserr, &changed);
        if (err != ngx_http_resend_verify_creds_busy) {
            break;
        }
    }

    if (err) {
        if (line) {
            ngx_conf_log_error(NGX_LOG_EMERG, cf, 0,
                               "invalid credentials file \"%V\": %s "
                               "in line %ui", &creds->path, err, line);
        } else {
            ngx_conf_log_error(NGX_LOG_EMERG, cf, syserr,
                               "invalid credentials file \"%V\": %s",
                               &creds->path, err);
        }

        return NGX_CONF_ERROR;
    }

    if (ngx_file_info(creds->path.data, &fi) != NGX_FILE_ERROR
        && (fi.st_mode & S_IROTH))
    {
        ngx_conf_log_error(NGX_LOG_WARN, cf, 0,
                           "credentials file \"%V\" is readable by anyone: "
                           "make it readable by root and the workers' "
                           "group only", &creds->path);
    }

    *field = creds;

    return NGX_CONF_OK;
}


/*
 * Looks at the file at most once a second; a changed file is read again
 * once it has not changed for a second, so that a file caught while it
 * is written in place is not taken (a file renamed into place is read at
 * the next look).  A file that cannot be read, is not a regular file or
 * is not valid leaves the credentials in use as they are and is logged
 * once.
 */

void
ngx_http_resend_verify_creds_get(ngx_http_request_t *r,
    ngx_http_resend_verify_creds_t *creds)
{
    const char                           *err;
    ngx_err_t                             syserr;
    ngx_uint_t                            line, changed;
    ngx_file_info_t                       fi;
    ngx_http_resend_verify_creds_stat_t   st;

    if (creds->checked == ngx_time()) {
        return;
    }

    creds->checked = ngx_time();

    if (ngx_file_info(creds->path.data, &fi) == NGX_FILE_ERROR) {
        if (creds->bad != NGX_HTTP_RESEND_VERIFY_CREDS_GONE) {
            ngx_log_error(NGX_LOG_ERR, r->connection->log, ngx_errno,
                          "resend_verify: credentials file \"%V\" cannot "
                          "be read, the credentials in use stay",
                          &creds->path);
            creds->bad = NGX_HTTP_RESEND_VERIFY_CREDS_GONE;
        }

        return;
    }

    /* a FIFO or a device would block the worker in open() or read() */

    if (!ngx_is_file(&fi)) {
        if (creds->bad != NGX_HTTP_RESEND_VERIFY_CREDS_NOTREG) {
            ngx_log_error(NGX_LOG_ERR, r->connection->log, 0,
                          "resend_verify: credentials file \"%V\" is not a "
                          "regular file, the credentials in use stay",
                          &creds->path);
            creds->bad = NGX_HTTP_RESEND_VERIFY_CREDS_NOTREG;
        }

        return;
    }

    ngx_http_resend_verify_creds_stat(&fi, &st);

    if (!creds->recent
        && ngx_memcmp(&st, &creds->st, sizeof(st)) == 0)
    {
        return;
    }

    if (!ngx_http_resend_verify_creds_settled(&st)) {
        ngx_log_debug1(NGX_LOG_DEBUG_HTTP, r->connection->log, 0,
                       "resend_verify: credentials file \"%V\" changed "
                       "less than a second ago", &creds->path);
        return;
    }

    err = ngx_http_resend_verify_creds_load(creds, r->connection->log, &line,
                                            &syserr, &changed);

    if (err == ngx_http_resend_verify_creds_busy) {
        ngx_log_debug1(NGX_LOG_DEBUG_HTTP, r->connection->log, 0,
                       "resend_verify: credentials file \"%V\" changed "
                       "while it was read", &creds->path);
        return;
    }

    if (err == NULL) {
        if (changed) {
            ngx_log_error(NGX_LOG_NOTICE, r->connection->log, 0,
                          "resend_verify: credentials file \"%V\" read "
                          "again", &creds->path);
        }

        creds->bad = 0;
        return;
    }

    if (creds->bad != NGX_HTTP_RESEND_VERIFY_CREDS_INVALID && line) {
        ngx_log_error(NGX_LOG_ERR, r->connection->log, 0,
                      "resend_verify: credentials file \"%V\" is invalid: "
                      "%s in line %ui, the credentials in use stay",
                      &creds->path, err, line);

    } else if (creds->bad != NGX_HTTP_RESEND_VERIFY_CREDS_INVALID) {
        ngx_log_error(NGX_LOG_ERR, r->connection->log, syserr,
                      "resend_verify: credentials file \"%V\" is invalid: "
                      "%s, the credentials in use stay", &creds->path, err);
    }

    /* do not read this version again */

    creds->bad = NGX_HTTP_RESEND_VERIFY_CREDS_INVALID;
    creds->st = st;
    creds->recent = 0;
}


/*
 * Opens without blocking (a FIFO swapped in after the stat() must not
 * hang the worker), takes only a regular file, and reads it whole; if the
 * file's stat changed meanwhile, it was being written: "busy".  Content
 * equal to what is in use only updates the stat (*changed = 0).
 */

static const char *
ngx_http_resend_verify_creds_load(ngx_http_resend_verify_creds_t *creds,
    ngx_log_t *log, ngx_uint_t *line, ngx_err_t *syserr, ngx_uint_t *changed)
{
    u_char                               *data;
    size_t                                size;
    ssize_t                               n;
    ngx_fd_t                              fd;
    ngx_str_t                             id, secret, token;
    ngx_file_t                            file;
    const char                           *err;
    ngx_file_info_t                       fi;
    ngx_http_resend_verify_creds_stat_t   st, st2;

    *line = 0;
    *syserr = 0;
    *changed = 0;

    fd = ngx_open_file(creds->path.data, NGX_FILE_RDONLY|NGX_FILE_NONBLOCK,
                       NGX_FILE_OPEN, 0);

    if (fd == NGX_INVALID_FILE) {
        *syserr = ngx_errno;
        return "cannot be opened";
    }

    data = NULL;
    size = 0;
    err = NULL;

    if (ngx_fd_info(fd, &fi) == NGX_FILE_ERROR) {
        *syserr = ngx_errno;
        err = "cannot be read";
        goto done;
    }

    if (!ngx_is_file(&fi)) {
        err = "is not a regular file";
        goto done;
    }

    if (ngx_file_size(&fi) > NGX_HTTP_RESEND_VERIFY_CREDS_MAX
        || ngx_file_size(&fi) == 0)
    {
        err = "is empty or too large";
        goto done;
    }

    ngx_http_resend_verify_creds_stat(&fi, &st);

    size = (size_t) ngx_file_size(&fi);

    /* one byte more: a file that grew while it is read shows */

    data = ngx_alloc(size + 1, log);
    if (data == NULL) {
        err = "cannot be read";
        goto done;
    }

    ngx_memzero(&file, sizeof(ngx_file_t));
    file.fd = fd;
    file.name = creds->path;
    file.log = log;

    n = ngx_read_file(&file, data, size + 1, 0);

    if (n == NGX_ERROR) {
        *syserr = ngx_errno;
        err = "cannot be read";
        goto done;
    }

    if (ngx_fd_info(fd, &fi) == NGX_FILE_ERROR) {
        *syserr = ngx_errno;
        err = "cannot be read";
        goto done;
    }

    ngx_http_resend_verify_creds_stat(&fi, &st2);

    if ((size_t) n != size || ngx_memcmp(&st, &st2, sizeof(st)) != 0) {
        err = ngx_http_resend_verify_creds_busy;
        goto done;
    }

    if (creds->data && creds->size == size
        && ngx_memcmp(creds->data, data, size) == 0)
    {
        /* the same credentials: nothing to replace */
        creds->st = st;
        creds->recent = !ngx_http_resend_verify_creds_settled(&st);
        goto done;
    }

    err = ngx_http_resend_verify_creds_parse(data, size, &id, &secret, &token,
                                             line);
    if (err) {
        goto done;
    }

    /* the new credentials take the place of the old ones, wiped */

    ngx_http_resend_verify_creds_cleanup(creds);

    creds->data = data;
    creds->size = size;
    creds->id = id;
    creds->secret = secret;
    creds->token = token;

    rv_hmac_key_init(&creds->key, secret.data, secret.len);
    ngx_http_resend_verify_creds_acs3_init(creds);
    creds->st = st;
    creds->recent = !ngx_http_resend_verify_creds_settled(&st);
    *changed = 1;

    data = NULL;

done:

    if (data) {
        ngx_explicit_memzero(data, size + 1);
        ngx_free(data);
    }

    ngx_close_file(fd);

    return err;
}


static void
ngx_http_resend_verify_creds_stat(ngx_file_info_t *fi,
    ngx_http_resend_verify_creds_stat_t *st)
{
    ngx_memzero(st, sizeof(ngx_http_resend_verify_creds_stat_t));

    st->uniq = ngx_file_uniq(fi);
    st->size = ngx_file_size(fi);
    st->mtime = fi->st_mtime;
    st->ctime = fi->st_ctime;

#if (NGX_DARWIN)
    st->mtime_ns = fi->st_mtimespec.tv_nsec;
    st->ctime_ns = fi->st_ctimespec.tv_nsec;
#else
    st->mtime_ns = fi->st_mtim.tv_nsec;
    st->ctime_ns = fi->st_ctim.tv_nsec;
#endif
}


/*
 * The status change time (any write, rename or chmod sets it, and no one
 * can set it back) is at least a second old.  One in the future (the
 * clock was set back) cannot tell, and counts as settled.
 */

static ngx_int_t
ngx_http_resend_verify_creds_settled(ngx_http_resend_verify_creds_stat_t *st)
{
    ngx_msec_int_t   age;
    ngx_time_t      *tp;

    tp = ngx_timeofday();

    age = (ngx_msec_int_t) (tp->sec - st->ctime) * 1000
          + (ngx_msec_int_t) tp->msec - st->ctime_ns / 1000000;

    return age < 0 || age >= NGX_HTTP_RESEND_VERIFY_CREDS_SETTLE;
}


/* the values stay in the buffer: each is cut where it ends */

static const char *
ngx_http_resend_verify_creds_parse(u_char *p, size_t len, ngx_str_t *id,
    ngx_str_t *secret, ngx_str_t *token, ngx_uint_t *line)
{
    u_char     *last, *eol, *key, *key_end, *val, *val_end;
    ngx_str_t  *dst;

    ngx_str_null(id);
    ngx_str_null(secret);
    ngx_str_null(token);

    last = p + len;
    *line = 0;

    for ( /* void */ ; p < last; p = eol + 1) {

        (*line)++;

        eol = ngx_strlchr(p, last, '\n');
        if (eol == NULL) {
            eol = last;
        }

        while (p < eol && (*p == ' ' || *p == '\t')) {
            p++;
        }

        if (p == eol || *p == '#' || *p == ';' || *p == '\r') {
            if (p < eol && *p == '\r' && p + 1 != eol) {
                return "a stray carriage return";
            }

            continue;
        }

        key = p;

        while (p < eol && ((*p >= 'a' && *p <= 'z') || *p == '_')) {
            p++;
        }

        key_end = p;

        while (p < eol && (*p == ' ' || *p == '\t')) {
            p++;
        }

        if (p == eol || *p != '=') {
            return "no \"=\"";
        }

        p++;

        while (p < eol && (*p == ' ' || *p == '\t')) {
            p++;
        }

        val = p;
        val_end = eol;

        while (val_end > val
               && (val_end[-1] == ' ' || val_end[-1] == '\t'
                   || val_end[-1] == '\r'))
        {
            val_end--;
        }

        for (p = val; p < val_end; p++) {
            if (*p <= ' ' || *p >= 0x7f) {
                return "a value with a space or a control character";
            }
        }

        if ((size_t) (key_end - key) == sizeof("access_key_id") - 1
            && ngx_strncmp(key, "access_key_id", key_end - key) == 0)
        {
            dst = id;

        } else if ((size_t) (key_end - key) == sizeof("access_key_secret") - 1
                   && ngx_strncmp(key, "access_key_secret", key_end - key)
                      == 0)
        {
            dst = secret;

        } else if ((size_t) (key_end - key) == sizeof("security_token") - 1
                   && ngx_strncmp(key, "security_token", key_end - key) == 0)
        {
            dst = token;

        } else {
            return "an unknown key";
        }

        if (dst->data) {
            return "a key given twice";
        }

        dst->data = val;
        dst->len = val_end - val;

        if (eol == last) {
            break;
        }
    }

    *line = 0;

    if (id->len == 0 || secret->len == 0) {
        return "access_key_id or access_key_secret is missing";
    }

    return NULL;
}


static void
ngx_http_resend_verify_creds_cleanup(void *data)
{
    ngx_http_resend_verify_creds_t  *creds = data;

    ngx_uint_t  i;

    if (creds->data) {
        ngx_explicit_memzero(creds->data, creds->size);
        ngx_free(creds->data);
        creds->data = NULL;
    }

    rv_hmac_key_wipe(&creds->key);

    for (i = 0; i < RV_ACS3_NALGS; i++) {
        rv_acs3_key_free(&creds->acs3[i]);
    }
}


ngx_int_t
ngx_http_resend_verify_creds_want(ngx_http_resend_verify_creds_t *creds,
    rv_acs3_alg_t alg)
{
    if (creds->acs3_wanted & (1 << alg)) {
        return NGX_OK;
    }

    creds->acs3_wanted |= 1 << alg;

    if (creds->secret.len
        && rv_acs3_key_init(&creds->acs3[alg], alg, creds->secret.data,
                            creds->secret.len)
           != 0)
    {
        return NGX_ERROR;
    }

    return NGX_OK;
}


rv_acs3_key_t *
ngx_http_resend_verify_creds_acs3(ngx_http_resend_verify_creds_t *creds,
    rv_acs3_alg_t alg)
{
    return creds->acs3[alg].inner ? &creds->acs3[alg] : NULL;
}


/*
 * A key that could not be made (no memory) stays NULL: the signer then
 * keys the HMAC with the secret itself, per request.
 */

static void
ngx_http_resend_verify_creds_acs3_init(ngx_http_resend_verify_creds_t *creds)
{
    ngx_uint_t  i;

    for (i = 0; i < RV_ACS3_NALGS; i++) {
        if (creds->acs3_wanted & (1 << i)) {
            (void) rv_acs3_key_init(&creds->acs3[i], i, creds->secret.data,
                                    creds->secret.len);
        }
    }
}
