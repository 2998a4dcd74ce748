/* simctl.c - see simctl.h. */
#define _GNU_SOURCE /* strcasestr */
#include "simctl.h"

#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <curl/curl.h>

/* Copies the string value of "key" from a compact JSON line (first occurrence). */
static bool json_str(const char *line, const char *key, char *out, size_t cap)
{
	char pat[64];
	snprintf(pat, sizeof pat, "\"%s\":\"", key);
	const char *p = strstr(line, pat);
	if (p == NULL)
		return false;
	p += strlen(pat);
	size_t n = 0;
	for (; *p && *p != '"' && n + 1 < cap; p++) {
		if (*p == '\\' && p[1])
			p++;
		out[n++] = *p;
	}
	out[n] = '\0';
	return *p == '"';
}

static bool read_line(int fd, char *buf, size_t cap, int timeout_ms)
{
	size_t n = 0;
	while (n + 1 < cap) {
		struct pollfd pfd = { fd, POLLIN, 0 };
		if (poll(&pfd, 1, timeout_ms) <= 0)
			return false;
		ssize_t r = read(fd, buf + n, 1);
		if (r <= 0)
			return false;
		if (buf[n] == '\n')
			break;
		n++;
	}
	buf[n] = '\0';
	return true;
}

bool simctl_start(simctl *s, const char *const *extra)
{
	const char *build = getenv("UPQR_BUILD") ? getenv("UPQR_BUILD") : "build";
	char bin[512];
	snprintf(bin, sizeof bin, "%s/bin/upqr-sim", build);
	memset(s, 0, sizeof *s);
	if (access(bin, X_OK) != 0) {
		fprintf(stderr, "# %s not built\n", bin);
		return false;
	}
	static const char *const fixed[] = { "--listen", "127.0.0.1:0", "--state", ":memory:", "--pki", "build/pki" };
	/* execv wants writable strings: copies. */
	static char store[32][512];
	char *argv[32];
	size_t argc = 0;
	snprintf(store[argc], sizeof store[0], "%s", bin);
	argv[argc] = store[argc];
	argc++;
	for (size_t i = 0; i < sizeof fixed / sizeof fixed[0]; i++, argc++) {
		snprintf(store[argc], sizeof store[0], "%s", fixed[i]);
		argv[argc] = store[argc];
	}
	for (size_t i = 0; extra && extra[i] && argc < 31; i++, argc++) {
		snprintf(store[argc], sizeof store[0], "%s", extra[i]);
		argv[argc] = store[argc];
	}
	argv[argc] = NULL;
	int fds[2];
	if (pipe(fds) != 0)
		return false;
	s->pid = fork();
	if (s->pid == 0) {
		dup2(fds[1], 1);
		close(fds[0]);
		close(fds[1]);
		execv(bin, argv);
		_exit(127);
	}
	close(fds[1]);
	static char line[16384];
	bool ok = s->pid > 0 && read_line(fds[0], line, sizeof line, 20000) && strstr(line, "\"ready\":true") &&
		json_str(line, "baseUrl", s->base_url, sizeof s->base_url) &&
		json_str(line, "merId", s->mer_id, sizeof s->mer_id) &&
		json_str(line, "pfx", s->pfx, sizeof s->pfx) &&
		json_str(line, "rootCert", s->root, sizeof s->root) &&
		json_str(line, "middleCert", s->middle, sizeof s->middle) &&
		json_str(line, "tlsCaCert", s->tls_ca, sizeof s->tls_ca) &&
		json_str(line, "encryptCert", s->enc_cert, sizeof s->enc_cert);
	close(fds[0]);
	if (!ok) {
		fprintf(stderr, "# upqr-sim did not get ready\n");
		simctl_stop(s);
	}
	return ok;
}

void simctl_stop(simctl *s)
{
	if (s->pid > 0) {
		kill(s->pid, SIGTERM);
		while (waitpid(s->pid, NULL, 0) < 0 && errno == EINTR)
			;
	}
	s->pid = 0;
}

typedef struct sink {
	char *out;
	size_t cap, len;
} sink;

static size_t on_data(char *p, size_t size, size_t n, void *u)
{
	sink *k = u;
	size_t len = size * n;
	for (size_t i = 0; i < len && k->len + 1 < k->cap; i++)
		k->out[k->len++] = p[i];
	if (k->cap)
		k->out[k->len] = '\0';
	return len;
}

static int request(const simctl *s, const char *path, const char *form, char *out, size_t cap)
{
	char url[512];
	snprintf(url, sizeof url, "%s%s", s->base_url, path);
	CURL *c = curl_easy_init();
	if (c == NULL)
		return -1;
	sink k = { out, cap, 0 };
	if (cap)
		out[0] = '\0';
	curl_easy_setopt(c, CURLOPT_URL, url);
	curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, on_data);
	curl_easy_setopt(c, CURLOPT_WRITEDATA, &k);
	curl_easy_setopt(c, CURLOPT_TIMEOUT_MS, 20000L);
	curl_easy_setopt(c, CURLOPT_NOSIGNAL, 1L);
	if (strncmp(url, "https", 5) == 0)
		curl_easy_setopt(c, CURLOPT_CAINFO, s->tls_ca);
	if (form)
		curl_easy_setopt(c, CURLOPT_POSTFIELDS, form);
	long status = -1;
	if (curl_easy_perform(c) == CURLE_OK)
		curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &status);
	curl_easy_cleanup(c);
	return (int)status;
}

int simctl_post(const simctl *s, const char *path, const char *form, char *out, size_t cap)
{
	return request(s, path, form ? form : "", out, cap);
}

int simctl_get(const simctl *s, const char *path, char *out, size_t cap)
{
	return request(s, path, NULL, out, cap);
}

/* ---- notification receiver ------------------------------------------------- */

struct simctl_receiver {
	int fd;
	volatile int stop;
	pthread_t thread;
	simctl_handler handler;
	void *user;
};

/* Reads one HTTP request (headers + Content-Length body); false on a broken one. */
static bool read_request(int c, char *buf, size_t cap, size_t *hdr_len, size_t *body_len)
{
	size_t n = 0;
	char *end = NULL;
	while (end == NULL) {
		if (n + 1 >= cap)
			return false;
		ssize_t r = recv(c, buf + n, cap - n - 1, 0);
		if (r <= 0)
			return false;
		n += (size_t)r;
		buf[n] = '\0';
		end = strstr(buf, "\r\n\r\n");
	}
	*hdr_len = (size_t)(end - buf) + 4;
	const char *cl = strcasestr(buf, "\r\ncontent-length:");
	size_t want = cl ? strtoul(cl + 17, NULL, 10) : 0;
	if (want > cap - *hdr_len - 1)
		return false;
	while (n < *hdr_len + want) {
		ssize_t r = recv(c, buf + n, *hdr_len + want - n, 0);
		if (r <= 0)
			return false;
		n += (size_t)r;
	}
	buf[*hdr_len + want] = '\0';
	*body_len = want;
	return true;
}

static void serve_one(simctl_receiver *r, int c)
{
	static __thread char buf[256 * 1024];
	size_t hl, bl;
	int status = 400;
	if (read_request(c, buf, sizeof buf, &hl, &bl)) {
		/* request line: METHOD SP target SP version */
		char *sp = strchr(buf, ' '), *q = sp ? strchr(sp + 1, '?') : NULL;
		char *sp2 = sp ? strchr(sp + 1, ' ') : NULL;
		const char *query = q && sp2 && q < sp2 ? q + 1 : "";
		size_t qlen = q && sp2 && q < sp2 ? (size_t)(sp2 - q - 1) : 0;
		status = r->handler(r->user, buf + hl, bl, query, qlen);
	}
	char resp[128];
	int n = snprintf(resp, sizeof resp, "HTTP/1.1 %d X\r\nContent-Length: 0\r\nConnection: close\r\n\r\n", status);
	if (send(c, resp, (size_t)n, MSG_NOSIGNAL) < 0)
		status = -1;
	close(c);
}

static void *receiver_main(void *arg)
{
	simctl_receiver *r = arg;
	while (!r->stop) {
		struct pollfd pfd = { r->fd, POLLIN, 0 };
		if (poll(&pfd, 1, 50) <= 0)
			continue;
		int c = accept(r->fd, NULL, NULL);
		if (c >= 0)
			serve_one(r, c);
	}
	return NULL;
}

simctl_receiver *simctl_receiver_start(simctl_handler h, void *user, char *url, size_t cap)
{
	simctl_receiver *r = calloc(1, sizeof *r);
	struct sockaddr_in a = { .sin_family = AF_INET, .sin_port = 0 };
	socklen_t al = sizeof a;
	a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	r->fd = socket(AF_INET, SOCK_STREAM, 0);
	if (r->fd < 0 || bind(r->fd, (struct sockaddr *)&a, sizeof a) != 0 || listen(r->fd, 64) != 0 ||
			getsockname(r->fd, (struct sockaddr *)&a, &al) != 0) {
		if (r->fd >= 0)
			close(r->fd);
		free(r);
		return NULL;
	}
	r->handler = h;
	r->user = user;
	snprintf(url, cap, "http://127.0.0.1:%u/notify", (unsigned)ntohs(a.sin_port));
	if (pthread_create(&r->thread, NULL, receiver_main, r) != 0) {
		close(r->fd);
		free(r);
		return NULL;
	}
	return r;
}

void simctl_receiver_stop(simctl_receiver *r)
{
	if (r == NULL)
		return;
	r->stop = 1;
	pthread_join(r->thread, NULL);
	close(r->fd);
	free(r);
}
