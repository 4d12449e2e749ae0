
/*
 * Copyright (C) ngx_http_resend_verify_module authors
 *
 * The browser's body, whatever its type: a form (urlencoded or multipart)
 * or a JSON object.  Every format ends up calling rv_input_field().
 */


#ifndef _NGX_HTTP_RESEND_VERIFY_BODY_H_INCLUDED_
#define _NGX_HTTP_RESEND_VERIFY_BODY_H_INCLUDED_


#include "ngx_http_resend_verify_core.h"
#include "ngx_http_resend_verify_input.h"


#define RV_BOUNDARY_MAX_LEN        70      /* RFC 2046 */
#define RV_MULTIPART_MAX_PARTS     64
#define RV_MULTIPART_MAX_HEADER    1024    /* a part's headers, blank line
                                              included */
#define RV_BODY_JSON_MAX_DEPTH     16


/*
 * Parses the body by its Content-Type (the header's value as it came,
 * NULL or empty if there was none) and fills in "in", which the caller
 * has zeroed and given its max_emails.  Neither the header nor the body
 * needs to be NUL-terminated; nothing past "ct_len" or "len" is read.
 *
 * Content-Type (RFC 9110 media type; type, subtype and parameter names
 * are case-insensitive, values are tokens or quoted strings):
 *
 *   application/x-www-form-urlencoded     rv_parse_urlencoded()
 *   multipart/form-data; boundary=...     RFC 7578, strictly
 *   application/json                      an object: "email" (a string
 *                                         or an array of strings),
 *                                         "emails" (likewise), "lang"
 *                                         (a string); the first letter's
 *                                         case may differ
 *
 * A "charset" parameter, if any, must say UTF-8 ("utf-8" or "utf8").
 *
 * The contract is rv_parse_urlencoded()'s:
 *
 *   RV_OK                  the body was read to its end; a field that is
 *                          well-formed but invalid (an address, a
 *                          language, a field given twice) is in in->err,
 *                          and rv_input_done() tells it, or that no
 *                          address came
 *   RV_ERR_MEDIA_TYPE      no Content-Type, an unparsable one, a type not
 *                          listed above, a charset other than UTF-8
 *   RV_ERR_BAD_BODY        a body that is not well-formed for its type
 *                          (also a multipart type without a valid
 *                          boundary), or a JSON value of the wrong type
 *   RV_ERR_BAD_ENCODING    a name or value that is not UTF-8 (for JSON,
 *                          any byte of the body), or a multipart field of
 *                          ours with a charset other than UTF-8
 *   RV_ERR_INTERNAL        no memory
 *
 * What the body held before an error is in "in", the language included,
 * so that the error can be told in the language asked for.
 */

rv_err_t rv_parse_body(rv_input_t *in, const unsigned char *content_type,
    size_t ct_len, const unsigned char *body, size_t len, rv_pool_t *pool);


#endif /* _NGX_HTTP_RESEND_VERIFY_BODY_H_INCLUDED_ */
