/* HTTP(S) requests with libcurl: TLS always verified, bodies size-capped and wiped, Cache-Control
 * max-age read from the headers. */
#include "net/http.h"
#include "base/buf.h"
#include "base/wipe.h"

#include <curl/curl.h>
#include <limits.h>
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#define HTTP_DEFAULT_TIMEOUT 20L
#define HTTP_DEFAULT_MAX_BYTES ((size_t)1 << 20)
#define HTTP_MAX_REDIRECTS 3L
#define HTTP_MAX_AGE_LIMIT 31536000L /* a year: larger values are clamped, not overflowed */

/* What one transfer collects: the body of the last response and its caching headers. */
struct http_transfer {
	struct regs_buf body; /* its max is the largest body accepted */
	int too_big, no_memory;
	long max_age;
	int no_cache;
};

/* A request as the three public calls describe it; post NULL means GET. */
struct http_request {
	const char *url;
	const char *content_type;
	const char *post;
};

static size_t collect_body(char *ptr, size_t size, size_t n, void *ctx)
{
	struct http_transfer *t = ctx;
	size_t add = size * n;
	enum regs_err err = regs_buf_append(&t->body, ptr, add);
	if (err != REGS_OK) {
		t->too_big = err == REGS_ERR_FULL;
		t->no_memory = err == REGS_ERR_NOMEM;
		return 0; /* curl stops with a write error */
	}
	return add;
}

/* "max-age=N" or "max-age=\"N\"": N clamped to a year; -1 when N is not a number. */
static long parse_max_age(const char *v, size_t n)
{
	if (n > 0 && v[0] == '"') {
		if (n < 2 || v[n - 1] != '"')
			return -1;
		v++;
		n -= 2;
	}
	if (n == 0)
		return -1;
	long age = 0;
	for (size_t i = 0; i < n; i++) {
		if (v[i] < '0' || v[i] > '9')
			return -1;
		if (age < HTTP_MAX_AGE_LIMIT)
			age = age * 10 + (v[i] - '0');
	}
	return age < HTTP_MAX_AGE_LIMIT ? age : HTTP_MAX_AGE_LIMIT;
}

static void read_cache_directive(struct http_transfer *t, const char *d, size_t n)
{
	static const char max_age[] = "max-age=";
	/* no-cache="field" names a header, but it still means "revalidate": treated as no-cache */
	if ((n == 8 && strncasecmp(d, "no-store", 8) == 0) ||
	    (n >= 8 && strncasecmp(d, "no-cache", 8) == 0 && (n == 8 || d[8] == '=')))
		t->no_cache = 1;
	else if (n >= sizeof(max_age) - 1 && strncasecmp(d, max_age, sizeof(max_age) - 1) == 0 &&
	         t->max_age < 0)
		t->max_age = parse_max_age(d + sizeof(max_age) - 1, n - (sizeof(max_age) - 1));
}

/* The value of one Cache-Control header: comma-separated directives. */
static void read_cache_control(struct http_transfer *t, const char *v, size_t n)
{
	size_t i = 0;
	while (i < n) {
		while (i < n && (v[i] == ' ' || v[i] == '\t' || v[i] == ','))
			i++;
		size_t start = i;
		while (i < n && v[i] != ',')
			i++;
		size_t end = i;
		while (end > start && (v[end - 1] == ' ' || v[end - 1] == '\t'))
			end--;
		if (end > start)
			read_cache_directive(t, v + start, end - start);
	}
}

/* Each response (also one that redirects) starts with its status line: forget the previous one. */
static size_t collect_header(char *ptr, size_t size, size_t n, void *ctx)
{
	struct http_transfer *t = ctx;
	static const char name[] = "cache-control:";
	size_t len = size * n;
	while (len > 0 && (ptr[len - 1] == '\r' || ptr[len - 1] == '\n'))
		len--;
	if (len >= 5 && strncmp(ptr, "HTTP/", 5) == 0) {
		regs_buf_clear(&t->body);
		t->max_age = -1;
		t->no_cache = 0;
	} else if (len >= sizeof(name) - 1 && strncasecmp(ptr, name, sizeof(name) - 1) == 0) {
		read_cache_control(t, ptr + sizeof(name) - 1, len - (sizeof(name) - 1));
	}
	return size * n;
}

/* Every option must take: one that libcurl refuses (an old libcurl without *_PROTOCOLS_STR,
 * a TLS back end without CA files, no memory) fails the request instead of running it
 * without that limit. Each helper stops at the first refusal and returns it. */

/* Redirects only for GET, never to another scheme than http(s), and never from https to http. */
static CURLcode set_redirects(CURL *h, const struct http_request *rq)
{
	if (rq->post)
		return curl_easy_setopt(h, CURLOPT_FOLLOWLOCATION, 0L);
	int https = strncasecmp(rq->url, "https://", 8) == 0;
	CURLcode rc = curl_easy_setopt(h, CURLOPT_FOLLOWLOCATION, 1L);
	if (rc == CURLE_OK)
		rc = curl_easy_setopt(h, CURLOPT_MAXREDIRS, HTTP_MAX_REDIRECTS);
	if (rc == CURLE_OK)
		rc = curl_easy_setopt(h, CURLOPT_REDIR_PROTOCOLS_STR,
		                      https ? "https" : "http,https");
	return rc;
}

/* Where the request may go and whom it trusts. */
static CURLcode set_security(CURL *h, const struct http_opts *o, const struct http_request *rq)
{
	CURLcode rc = curl_easy_setopt(h, CURLOPT_URL, rq->url);
	if (rc == CURLE_OK)
		rc = curl_easy_setopt(h, CURLOPT_PROTOCOLS_STR, "http,https");
	if (rc == CURLE_OK)
		rc = set_redirects(h, rq);
	if (rc == CURLE_OK)
		rc = curl_easy_setopt(h, CURLOPT_SSL_VERIFYPEER, 1L);
	if (rc == CURLE_OK)
		rc = curl_easy_setopt(h, CURLOPT_SSL_VERIFYHOST, 2L);
	if (rc == CURLE_OK && o && o->ca_file && *o->ca_file)
		rc = curl_easy_setopt(h, CURLOPT_CAINFO, o->ca_file);
	return rc;
}

/* How long, how much, and where the answer goes. */
static CURLcode set_transfer(CURL *h, const struct http_opts *o, struct http_transfer *t,
                             char *curl_err)
{
	long timeout = o && o->timeout_seconds > 0 ? o->timeout_seconds : HTTP_DEFAULT_TIMEOUT;
	CURLcode rc = curl_easy_setopt(h, CURLOPT_TIMEOUT, timeout);
	if (rc == CURLE_OK)
		rc = curl_easy_setopt(h, CURLOPT_NOSIGNAL, 1L);
	if (rc == CURLE_OK)
		rc = curl_easy_setopt(h, CURLOPT_ERRORBUFFER, curl_err);
	if (rc == CURLE_OK)
		rc = curl_easy_setopt(h, CURLOPT_MAXFILESIZE_LARGE, (curl_off_t)t->body.max);
	if (rc == CURLE_OK)
		rc = curl_easy_setopt(h, CURLOPT_WRITEFUNCTION, collect_body);
	if (rc == CURLE_OK)
		rc = curl_easy_setopt(h, CURLOPT_WRITEDATA, t);
	if (rc == CURLE_OK)
		rc = curl_easy_setopt(h, CURLOPT_HEADERFUNCTION, collect_header);
	if (rc == CURLE_OK)
		rc = curl_easy_setopt(h, CURLOPT_HEADERDATA, t);
	if (rc == CURLE_OK)
		rc = curl_easy_setopt(h, CURLOPT_USERAGENT, "pam_regs");
	return rc;
}

static CURLcode set_body(CURL *h, const struct http_request *rq, struct curl_slist *headers)
{
	if (!rq->post)
		return CURLE_OK;
	CURLcode rc = curl_easy_setopt(h, CURLOPT_POSTFIELDS, rq->post);
	if (rc == CURLE_OK)
		rc = curl_easy_setopt(h, CURLOPT_POSTFIELDSIZE_LARGE, (curl_off_t)strlen(rq->post));
	if (rc == CURLE_OK)
		rc = curl_easy_setopt(h, CURLOPT_HTTPHEADER, headers);
	return rc;
}

static CURLcode set_options(CURL *h, const struct http_opts *o, const struct http_request *rq,
                            struct http_transfer *t, char *curl_err, struct curl_slist *headers)
{
	CURLcode rc = set_security(h, o, rq);
	if (rc == CURLE_OK)
		rc = set_transfer(h, o, t, curl_err);
	if (rc == CURLE_OK)
		rc = set_body(h, rq, headers);
	return rc;
}

/* The request headers for a POST: its type, and no "Expect: 100-continue" round trip. */
static struct curl_slist *post_headers(const struct http_request *rq)
{
	char type[96];
	snprintf(type, sizeof(type), "Content-Type: %s", rq->content_type);
	struct curl_slist *list = curl_slist_append(NULL, type);
	struct curl_slist *more = list ? curl_slist_append(list, "Expect:") : NULL;
	if (!more)
		curl_slist_free_all(list);
	return more;
}

/* Maps curl's result to ours; err never carries the URL's query or the request body. */
static enum regs_err transfer_result(CURLcode rc, const struct http_transfer *t,
                                     const char *curl_err, char *err, size_t errlen)
{
	if (rc == CURLE_OK)
		return REGS_OK;
	if (t->too_big || rc == CURLE_FILESIZE_EXCEEDED) {
		snprintf(err, errlen, "answer larger than %zu bytes", t->body.max);
		return REGS_ERR_FULL;
	}
	if (t->no_memory || rc == CURLE_OUT_OF_MEMORY) {
		snprintf(err, errlen, "out of memory");
		return REGS_ERR_NOMEM;
	}
	if (rc == CURLE_PARTIAL_FILE) {
		snprintf(err, errlen, "answer cut short");
		return REGS_ERR_IO;
	}
	snprintf(err, errlen, "%s", *curl_err ? curl_err : curl_easy_strerror(rc));
	return REGS_ERR_IO;
}

/* Hands the body over (an empty answer becomes ""), so out->body is never NULL on success. */
static enum regs_err transfer_to_response(struct http_transfer *t, long status,
                                          struct http_response *out, char *err, size_t errlen)
{
	if (!(out->body = regs_buf_take(&t->body, &out->len))) {
		snprintf(err, errlen, "out of memory");
		return REGS_ERR_NOMEM;
	}
	out->status = status;
	out->max_age = t->no_cache ? -1 : t->max_age;
	return REGS_OK;
}

static enum regs_err perform(const struct http_opts *o, const struct http_request *rq,
                             struct http_response *out, char *err, size_t errlen)
{
	char curl_err[CURL_ERROR_SIZE] = "";
	struct http_transfer t = {
	    .body = REGS_BUF_INIT(o && o->max_bytes ? o->max_bytes : HTTP_DEFAULT_MAX_BYTES),
	    .max_age = -1};
	long status = 0;
	struct curl_slist *headers = NULL;
	*out = (struct http_response){.max_age = -1};
	CURL *h = curl_easy_init();
	if (!h || (rq->post && !(headers = post_headers(rq)))) {
		curl_easy_cleanup(h);
		snprintf(err, errlen, "cannot set up the request");
		return REGS_ERR_NOMEM;
	}
	CURLcode rc = set_options(h, o, rq, &t, curl_err, headers);
	if (rc != CURLE_OK) {
		curl_easy_cleanup(h);
		curl_slist_free_all(headers);
		snprintf(err, errlen, "cannot set up the request: %s", curl_easy_strerror(rc));
		return REGS_ERR_IO;
	}
	rc = curl_easy_perform(h);
	if (curl_easy_getinfo(h, CURLINFO_RESPONSE_CODE, &status) != CURLE_OK)
		status = 0;
	curl_easy_cleanup(h);
	curl_slist_free_all(headers);
	enum regs_err e = transfer_result(rc, &t, curl_err, err, errlen);
	if (e == REGS_OK)
		e = transfer_to_response(&t, status, out, err, errlen);
	regs_buf_free(&t.body);
	return e;
}

enum regs_err http_get(const struct http_opts *o, const char *url, struct http_response *out,
                       char *err, size_t errlen)
{
	struct http_request rq = {.url = url};
	return perform(o, &rq, out, err, errlen);
}

enum regs_err http_post_form(const struct http_opts *o, const char *url, const char *form,
                             struct http_response *out, char *err, size_t errlen)
{
	struct http_request rq = {
	    .url = url, .content_type = "application/x-www-form-urlencoded", .post = form};
	return perform(o, &rq, out, err, errlen);
}

enum regs_err http_post_json(const struct http_opts *o, const char *url, const char *json,
                             struct http_response *out, char *err, size_t errlen)
{
	struct http_request rq = {.url = url, .content_type = "application/json", .post = json};
	return perform(o, &rq, out, err, errlen);
}

void http_response_free(struct http_response *r)
{
	if (!r)
		return;
	if (r->body) {
		regs_wipe(r->body, r->len);
		free(r->body);
	}
	*r = (struct http_response){.max_age = -1};
}

/* ---- Form encoding ---- */

/* ASCII only: isalnum() would follow the locale. */
static int is_unreserved(unsigned char c)
{
	return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') ||
	       c == '-' || c == '.' || c == '_' || c == '~';
}

static size_t encoded_length(const char *s)
{
	size_t n = 0;
	for (; *s; s++)
		n += is_unreserved((unsigned char)*s) ? 1 : 3;
	return n;
}

/* RFC 3986 percent-encoding (so a space is %20); returns the end of what it wrote. */
static char *percent_encode(char *dst, const char *s)
{
	static const char hex[] = "0123456789ABCDEF";
	for (; *s; s++) {
		unsigned char c = (unsigned char)*s;
		if (is_unreserved(c)) {
			*dst++ = (char)c;
		} else {
			*dst++ = '%';
			*dst++ = hex[c >> 4];
			*dst++ = hex[c & 15];
		}
	}
	return dst;
}

/* The form may carry secrets: it is rebuilt in a new buffer and the old one wiped, never
 * realloc'd (which could leave a copy behind). */
enum regs_err http_form_add(char **form, const char *name, const char *value)
{
	size_t old = *form ? strlen(*form) : 0;
	char *grown = NULL;
	if (name && value && strlen(name) < SIZE_MAX / 4 && strlen(value) < SIZE_MAX / 4)
		grown = malloc(old + 1 + encoded_length(name) + 1 + encoded_length(value) + 1);
	if (!grown) {
		regs_free_secret_str(*form);
		*form = NULL;
		return name && value ? REGS_ERR_NOMEM : REGS_ERR_INVALID;
	}
	char *p = grown;
	if (old) {
		memcpy(p, *form, old);
		p += old;
		*p++ = '&';
	}
	p = percent_encode(p, name);
	*p++ = '=';
	p = percent_encode(p, value);
	*p = '\0';
	regs_free_secret_str(*form);
	*form = grown;
	return REGS_OK;
}

static pthread_once_t http_once = PTHREAD_ONCE_INIT;

static void http_init_once(void)
{
	curl_global_init(CURL_GLOBAL_DEFAULT);
}

void http_global_init(void)
{
	pthread_once(&http_once, http_init_once);
}
