
/*
 * Copyright (C) ngx_http_resend_verify_module authors
 *
 * resend_verify_signature and resend_verify_host: which scheme signs the
 * call (the RPC HMAC-SHA1 one, or V3: ACS3-HMAC-SHA256, ACS3-HMAC-SM3),
 * and the Host the call is sent and, under V3, signed with.
 *
 * V3 signs the Host header, so the Host the internal location's proxy
 * sends must be the one signed.  The module gives its subrequest that Host
 * (so "proxy_set_header Host $http_host" sends it), defaults it to the API
 * version's endpoint (which is what proxy_pass to that endpoint sends),
 * and after each V3 call compares it with the Host line the proxy really
 * wrote, to log a mismatch in plain words instead of leaving the operator
 * with the gateway's SignatureDoesNotMatch.
 */


#include <ngx_config.h>
#include <ngx_core.h>
#include <ngx_http.h>

#include "ngx_http_resend_verify_module.h"
#include "ngx_http_resend_verify_signature.h"


static void ngx_http_resend_verify_free_acs3_key(void *data);
static void ngx_http_resend_verify_free_acs3_head(void *data);


static ngx_str_t  ngx_http_resend_verify_signatures[] = {
    ngx_string("hmac-sha1"),
    ngx_string("acs3-hmac-sha256"),
    ngx_string("acs3-hmac-sm3")
};


/* the endpoints of resend_verify_api_version's versions, in its order */
static ngx_str_t  ngx_http_resend_verify_hosts[] = {
    ngx_string("domain.aliyuncs.com"),          /* 2018-01-29 */
    ngx_string("domain-intl.aliyuncs.com")      /* 2017-12-18 */
};


char *
ngx_http_resend_verify_signature(ngx_conf_t *cf, ngx_command_t *cmd,
    void *conf)
{
    ngx_http_resend_verify_loc_conf_t  *rvcf = conf;

    ngx_str_t   *value;
    ngx_uint_t   i;

    if (rvcf->signature != NGX_CONF_UNSET_UINT) {
        return "is duplicate";
    }

    value = cf->args->elts;

    for (i = 0; i < sizeof(ngx_http_resend_verify_signatures)
                    / sizeof(ngx_str_t); i++)
    {
        if (value[1].len == ngx_http_resend_verify_signatures[i].len
            && ngx_strcmp(value[1].data,
                          ngx_http_resend_verify_signatures[i].data)
               == 0)
        {
            break;
        }
    }

    if (i == sizeof(ngx_http_resend_verify_signatures) / sizeof(ngx_str_t)) {
        ngx_conf_log_error(NGX_LOG_EMERG, cf, 0,
                           "invalid value \"%V\", it must be \"hmac-sha1\", "
                           "\"acs3-hmac-sha256\" or \"acs3-hmac-sm3\"",
                           &value[1]);
        return NGX_CONF_ERROR;
    }

    if (i != NGX_HTTP_RV_SIGN_HMAC_SHA1
        && !rv_acs3_available(ngx_http_resend_verify_acs3_alg(i)))
    {
        ngx_conf_log_error(NGX_LOG_EMERG, cf, 0,
                           "\"%V\" needs %s, which the linked OpenSSL "
                           "(%s) does not have",
                           &value[1], i == NGX_HTTP_RV_SIGN_ACS3_SM3
                                      ? "SM3" : "SHA-256",
                           OpenSSL_version(OPENSSL_VERSION));
        return NGX_CONF_ERROR;
    }

    rvcf->signature = i;

    return NGX_CONF_OK;
}


/*
 * host[:port], as a Host header carries it: no scheme, no path, nothing
 * a header could not hold as it is.
 */

char *
ngx_http_resend_verify_host(ngx_conf_t *cf, ngx_command_t *cmd, void *conf)
{
    ngx_http_resend_verify_loc_conf_t  *rvcf = conf;

    u_char     *p, *last, *colon;
    ngx_str_t  *value;

    if (rvcf->host.data) {
        return "is duplicate";
    }

    value = cf->args->elts;

    p = value[1].data;
    last = p + value[1].len;

    if (value[1].len == 0 || !rv_acs3_value_ok(p, value[1].len)
        || ngx_strlchr(p, last, '/') || ngx_strlchr(p, last, '@')
        || ngx_strlchr(p, last, '?') || ngx_strlchr(p, last, '#')
        || ngx_strlchr(p, last, ',') || ngx_strlchr(p, last, ';'))
    {
        ngx_conf_log_error(NGX_LOG_EMERG, cf, 0,
                           "invalid host \"%V\": a host name and an optional "
                           "port, as in \"domain.aliyuncs.com\" (no scheme, "
                           "no path)", &value[1]);
        return NGX_CONF_ERROR;
    }

    /* a port, if any, is digits (a bracketed IPv6 address has colons) */

    colon = NULL;

    if (*p != '[') {
        colon = ngx_strlchr(p, last, ':');

    } else if (ngx_strlchr(p, last, ']')) {
        colon = ngx_strlchr(ngx_strlchr(p, last, ']'), last, ':');
    }

    if (colon && (colon + 1 == last
                  || ngx_atoi(colon + 1, last - colon - 1) == NGX_ERROR
                  || ngx_atoi(colon + 1, last - colon - 1) > 65535))
    {
        ngx_conf_log_error(NGX_LOG_EMERG, cf, 0,
                           "invalid port in host \"%V\"", &value[1]);
        return NGX_CONF_ERROR;
    }

    rvcf->host = value[1];

    return NGX_CONF_OK;
}


char *
ngx_http_resend_verify_signature_merge(ngx_conf_t *cf,
    ngx_http_resend_verify_loc_conf_t *prev,
    ngx_http_resend_verify_loc_conf_t *conf)
{
    ngx_str_t           *host;
    rv_acs3_alg_t        alg;
    ngx_pool_cleanup_t  *cln;

    ngx_conf_merge_uint_value(conf->signature, prev->signature,
                              NGX_HTTP_RV_SIGN_HMAC_SHA1);

    /* an explicit host only: the default follows each level's version */

    if (conf->host.data == NULL) {
        conf->host = prev->host;
    }

    if (conf->uri.len == 0 || conf->signature == NGX_HTTP_RV_SIGN_HMAC_SHA1) {
        return NGX_CONF_OK;
    }

    alg = ngx_http_resend_verify_acs3_alg(conf->signature);

    /* the canonical request's head: the host is known now */

    cln = ngx_pool_cleanup_add(cf->pool, sizeof(rv_acs3_head_t));
    if (cln == NULL) {
        return NGX_CONF_ERROR;
    }

    host = ngx_http_resend_verify_signed_host(conf);

    if (rv_acs3_head_init(cln->data, alg, host->data, host->len) != 0) {
        ngx_conf_log_error(NGX_LOG_EMERG, cf, 0, "cannot make the %s state",
                           rv_acs3_alg_name(alg));
        return NGX_CONF_ERROR;
    }

    conf->acs3_head = cln->data;
    cln->handler = ngx_http_resend_verify_free_acs3_head;

    if (conf->creds) {
        if (ngx_http_resend_verify_creds_want(conf->creds, alg) != NGX_OK) {
            ngx_conf_log_error(NGX_LOG_EMERG, cf, 0,
                               "cannot make the %s key of \"%V\"",
                               rv_acs3_alg_name(alg), &conf->creds->path);
            return NGX_CONF_ERROR;
        }

        return NGX_CONF_OK;
    }

    if (conf->access_key_secret == NULL
        || conf->access_key_secret->lengths
        || conf->access_key_secret->value.len == 0)
    {
        /* made of variables: the signer keys the HMAC per request */
        return NGX_CONF_OK;
    }

    /* a constant secret: its HMAC key states are made once */

    cln = ngx_pool_cleanup_add(cf->pool, sizeof(rv_acs3_key_t));
    if (cln == NULL) {
        return NGX_CONF_ERROR;
    }

    conf->acs3_key = cln->data;

    if (rv_acs3_key_init(conf->acs3_key, alg,
                         conf->access_key_secret->value.data,
                         conf->access_key_secret->value.len)
        != 0)
    {
        conf->acs3_key = NULL;
        cln->handler = NULL;
        ngx_conf_log_error(NGX_LOG_EMERG, cf, 0, "cannot make the %s key",
                           rv_acs3_alg_name(alg));
        return NGX_CONF_ERROR;
    }

    cln->handler = ngx_http_resend_verify_free_acs3_key;

    return NGX_CONF_OK;
}


ngx_str_t *
ngx_http_resend_verify_signed_host(ngx_http_resend_verify_loc_conf_t *rvcf)
{
    if (rvcf->host.len) {
        return &rvcf->host;
    }

    return &ngx_http_resend_verify_hosts[rvcf->api_version];
}


/*
 * The Host line of the request the proxy wrote (its first buffer holds
 * the request line and the headers): compared with the one signed.
 */

void
ngx_http_resend_verify_check_host(ngx_http_request_t *r,
    ngx_http_resend_verify_ctx_t *ctx, ngx_http_resend_verify_loc_conf_t *rvcf)
{
    u_char               *p, *last, *eol, *v;
    ngx_buf_t            *b;
    ngx_str_t             sent, *host;
    ngx_http_request_t   *sr;
    ngx_http_upstream_t  *u;

    sr = ctx->call.sr;

    if (sr == NULL || sr->upstream == NULL
        || sr->upstream->request_bufs == NULL)
    {
        /* not proxied: nothing to compare */
        return;
    }

    u = sr->upstream;
    b = u->request_bufs->buf;

    if (b == NULL || !ngx_buf_in_memory(b) || b->start == NULL) {
        return;
    }

    host = ngx_http_resend_verify_signed_host(rvcf);

    p = b->start;
    last = b->last;
    ngx_str_null(&sent);

    /* after the request line, up to the empty line */

    p = ngx_strlchr(p, last, '\n');

    while (p && ++p < last) {
        eol = ngx_strlchr(p, last, '\n');
        if (eol == NULL || eol == p || (eol == p + 1 && *p == '\r')) {
            break;
        }

        if (eol - p > 5 && ngx_strncasecmp(p, (u_char *) "host:", 5) == 0) {
            v = p + 5;

            while (v < eol && (*v == ' ' || *v == '\t')) {
                v++;
            }

            sent.data = v;
            sent.len = eol - v;

            while (sent.len && (sent.data[sent.len - 1] == '\r'
                                || sent.data[sent.len - 1] == ' '))
            {
                sent.len--;
            }

            break;
        }

        p = eol;
    }

    if (sent.len == host->len
        && ngx_strncmp(sent.data, host->data, host->len) == 0)
    {
        return;
    }

    if (sent.data == NULL) {
        ngx_log_error(NGX_LOG_ERR, r->connection->log, 0,
                      "resend_verify: the internal location sent no Host, "
                      "and the V3 signature covers \"Host: %V\": add "
                      "\"proxy_set_header Host $http_host;\" to it", host);
        return;
    }

    ngx_log_error(NGX_LOG_ERR, r->connection->log, 0,
                  "resend_verify: the internal location sent \"Host: %V\", "
                  "but the V3 signature covers \"Host: %V\": add "
                  "\"proxy_set_header Host $http_host;\" to it, or set "
                  "\"resend_verify_host\" to the endpoint's name",
                  &sent, host);
}


static void
ngx_http_resend_verify_free_acs3_key(void *data)
{
    rv_acs3_key_free(data);
}


static void
ngx_http_resend_verify_free_acs3_head(void *data)
{
    rv_acs3_head_free(data);
}
