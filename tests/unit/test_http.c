/* Unit tests for lib/net/http.c: an option libcurl refuses fails the request before anything is
 * sent. curl_easy_setopt is interposed here (the test program's definition wins over
 * libcurl's) to refuse one chosen option. */
#define CURL_DISABLE_TYPECHECK
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>
#include <curl/curl.h>
#include <dlfcn.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "net/http.h"

static CURLoption refused_option = (CURLoption)-1; /* -1: refuse none */
static unsigned refusals;

typedef CURLcode (*setopt_fn)(CURL *, CURLoption, ...);

/* Forwards to libcurl with the argument's type taken from the option's number range. */
CURLcode curl_easy_setopt(CURL *h, CURLoption option, ...)
{
	static setopt_fn real;
	va_list ap;
	CURLcode rc;
	if (!real)
		*(void **)&real = dlsym(RTLD_NEXT, "curl_easy_setopt");
	if (option == refused_option) {
		refusals++;
		return CURLE_UNKNOWN_OPTION;
	}
	va_start(ap, option);
	if (option < CURLOPTTYPE_OBJECTPOINT)
		rc = real(h, option, va_arg(ap, long));
	else if (option < CURLOPTTYPE_FUNCTIONPOINT)
		rc = real(h, option, va_arg(ap, void *));
	else if (option < CURLOPTTYPE_OFF_T)
		rc = real(h, option, va_arg(ap, void (*)(void)));
	else if (option < CURLOPTTYPE_BLOB)
		rc = real(h, option, va_arg(ap, curl_off_t));
	else
		rc = real(h, option, va_arg(ap, void *));
	va_end(ap);
	return rc;
}

/* A listening socket nobody accepts from: a connection attempt lands in its backlog. */
struct listener {
	int fd;
	char url[64];
};

static void listen_local(struct listener *l)
{
	struct sockaddr_in a = {.sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
	socklen_t len = sizeof(a);
	l->fd = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	assert_true(l->fd >= 0);
	assert_int_equal(bind(l->fd, (struct sockaddr *)&a, sizeof(a)), 0);
	assert_int_equal(listen(l->fd, 8), 0);
	assert_int_equal(getsockname(l->fd, (struct sockaddr *)&a, &len), 0);
	snprintf(l->url, sizeof(l->url), "http://127.0.0.1:%u/x", (unsigned)ntohs(a.sin_port));
}

/* Whether a client connected since the last call (each connection is closed here). */
static int connected(struct listener *l)
{
	int seen = 0, c;
	while ((c = accept(l->fd, NULL, NULL)) >= 0) {
		close(c);
		seen = 1;
	}
	assert_true(errno == EAGAIN || errno == EWOULDBLOCK);
	return seen;
}

static const struct http_opts opts = {"/nonexistent/ca.pem", 1, 0};

/* The probe works: with every option taken, the request reaches the server (which never
 * answers, so it times out). */
static void test_secret_hygiene_http_control_request_is_sent(void **state)
{
	(void)state;
	struct listener l;
	struct http_response r;
	char err[256];
	listen_local(&l);
	refused_option = (CURLoption)-1;
	assert_int_equal(http_get(&opts, l.url, &r, err, sizeof(err)), REGS_ERR_IO);
	assert_true(connected(&l));
	close(l.fd);
}

static void test_secret_hygiene_http_refused_option_fails_the_request(void **state)
{
	(void)state;
	static const CURLoption options[] = {
	    CURLOPT_URL,
	    CURLOPT_PROTOCOLS_STR,
	    CURLOPT_REDIR_PROTOCOLS_STR,
	    CURLOPT_FOLLOWLOCATION,
	    CURLOPT_MAXREDIRS,
	    CURLOPT_SSL_VERIFYPEER,
	    CURLOPT_SSL_VERIFYHOST,
	    CURLOPT_CAINFO,
	    CURLOPT_TIMEOUT,
	    CURLOPT_NOSIGNAL,
	    CURLOPT_MAXFILESIZE_LARGE,
	    CURLOPT_WRITEFUNCTION,
	    CURLOPT_HEADERFUNCTION,
	};
	struct listener l;
	struct http_response r;
	char err[256];
	listen_local(&l);
	for (size_t i = 0; i < sizeof(options) / sizeof(options[0]); i++) {
		refused_option = options[i];
		refusals = 0;
		assert_int_not_equal(http_get(&opts, l.url, &r, err, sizeof(err)), REGS_OK);
		assert_int_equal(refusals, 1);
		assert_non_null(strstr(err, "cannot set up the request"));
		assert_false(connected(&l));
	}
	/* A POST's body options too. */
	static const CURLoption post_options[] = {CURLOPT_POSTFIELDS, CURLOPT_POSTFIELDSIZE_LARGE,
	                                          CURLOPT_HTTPHEADER};
	for (size_t i = 0; i < sizeof(post_options) / sizeof(post_options[0]); i++) {
		refused_option = post_options[i];
		refusals = 0;
		assert_int_not_equal(http_post_form(&opts, l.url, "a=b", &r, err, sizeof(err)),
		                     REGS_OK);
		assert_int_equal(refusals, 1);
		assert_false(connected(&l));
	}
	refused_option = (CURLoption)-1;
	close(l.fd);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_secret_hygiene_http_control_request_is_sent),
	    cmocka_unit_test(test_secret_hygiene_http_refused_option_fails_the_request),
	};
	http_global_init();
	return cmocka_run_group_tests_name("http", tests, NULL, NULL);
}
