/* regsd: start-up (options, config, seal key, database, bus name), signals, and the main loop. */
#include "audit.h"
#include "base/error.h"
#include "base/wipe.h"
#include "daemon.h"
#include "mail/mail.h"
#include "proto/bus.h"
#include "ratelimit.h"
#include "secrets.h"
#include "storecopy.h"
#include "storeopen.h"
#include <getopt.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <syslog.h>
#include <time.h>

static volatile int stop_flag;

void regsd_log(int priority, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	vsyslog(priority, fmt, ap);
	va_end(ap);
}

static void on_signal(int sig)
{
	(void)sig;
	stop_flag = 1;
}

static void usage(FILE *out)
{
	fprintf(out,
	        "Usage: regsd [-c FILE] [--stderr] [--check-config]\n"
	        "       regsd --copy-store FROM TO\n"
	        "The pam_regs daemon: owns the two-factor login database on the D-Bus system "
	        "bus as " REGS_BUS_NAME ".\n\n"
	        "  -c, --config FILE  configuration file (default " REGS_DEFAULT_CONFIG ")\n"
	        "      --stderr       log to standard error as well as syslog\n"
	        "      --check-config check the configuration and the seal key file, then exit\n"
	        "      --copy-store FROM TO\n"
	        "                     copy every record of the database FROM into the empty\n"
	        "                     database TO and verify the copy, then exit (regsd not\n"
	        "                     running); each is lmdb:DIR or postgresql:CONNINFO\n"
	        "  -h, --help         this text\n");
}

struct options {
	const char *config;
	int log_stderr;
	int check_only;
	const char *copy_from, *copy_to; /* --copy-store FROM TO */
};

static int parse_args(int argc, char **argv, struct options *o)
{
	static const struct option longopts[] = {
	    {"config", required_argument, NULL, 'c'},
	    {"stderr", no_argument, NULL, 'e'},
	    {"check-config", no_argument, NULL, 'k'},
	    {"copy-store", required_argument, NULL, 's'}, /* FROM; TO is the operand */
	    {"help", no_argument, NULL, 'h'},
	    {NULL, 0, NULL, 0},
	};
	int c;
	o->config = REGS_DEFAULT_CONFIG;
	while ((c = getopt_long(argc, argv, "c:h", longopts, NULL)) != -1) {
		switch (c) {
		case 'c':
			o->config = optarg;
			break;
		case 'e':
			o->log_stderr = 1;
			break;
		case 'k':
			o->check_only = 1;
			break;
		case 's':
			o->copy_from = optarg;
			break;
		case 'h':
			usage(stdout);
			exit(0);
		default:
			usage(stderr);
			return -1;
		}
	}
	if (o->copy_from && optind == argc - 1)
		o->copy_to = argv[optind++];
	if (o->copy_from && !o->copy_to) {
		fprintf(stderr, "regsd: --copy-store needs FROM and TO\n");
		usage(stderr);
		return -1;
	}
	if (optind == argc)
		return 0;
	fprintf(stderr, "regsd: unexpected argument '%s'\n", argv[optind]);
	usage(stderr);
	return -1;
}

/* The state directory first (the key may live in it), then the key, then what the database
 * must agree on with it (storeopen.c). */
static int open_state(struct daemon *d, int check_only)
{
	enum regs_err err;
	if (check_only ? storeopen_check_config(&d->cfg) != 0 : storeopen_prepare(d) != 0)
		return -1;
	err = seal_key_load(d->cfg.seal_key_file, !check_only, &d->data.key);
	if (check_only && err == REGS_ERR_NOT_FOUND)
		return 0; /* created at first start */
	if (err != REGS_OK) {
		regsd_log(
		    LOG_ERR,
		    "seal key %s refused: %s (it must be a regular file of 32 bytes, owned by "
		    "the user regsd runs as, with no access for group or others: 0600)",
		    d->cfg.seal_key_file, regs_strerror(err));
		return -1;
	}
	return check_only ? 0 : storeopen_attach(d);
}

static int claim_bus_name(struct daemon *d)
{
	DBusError err;
	dbus_error_init(&err);
	d->conn.bus = dbus_bus_get_private(DBUS_BUS_SYSTEM, &err);
	if (!d->conn.bus) {
		regsd_log(LOG_ERR, "cannot connect to the system bus: %s", err.message);
		dbus_error_free(&err);
		return -1;
	}
	dbus_connection_set_exit_on_disconnect(d->conn.bus, FALSE);
	/* Connections that go away (an sshd session cut mid-login) end their flows. */
	dbus_bus_add_match(d->conn.bus,
	                   "type='signal',sender='" DBUS_SERVICE_DBUS
	                   "',interface='" DBUS_INTERFACE_DBUS
	                   "',member='NameOwnerChanged',arg2=''",
	                   NULL);
	int rc =
	    dbus_bus_request_name(d->conn.bus, REGS_BUS_NAME, DBUS_NAME_FLAG_DO_NOT_QUEUE, &err);
	if (rc != DBUS_REQUEST_NAME_REPLY_PRIMARY_OWNER) {
		regsd_log(LOG_ERR, "cannot own %s: %s", REGS_BUS_NAME,
		          dbus_error_is_set(&err) ? err.message : "name already taken");
		dbus_error_free(&err);
		return -1;
	}
	return 0;
}

/* R1.2: the trust anchors of each class (none configured: no card can log in). */
static int load_anchor(const char *file, struct x509_anchors **out)
{
	if (!*file)
		return 0;
	enum regs_err err = x509_anchors_load(file, out);
	if (err != REGS_OK)
		regsd_log(LOG_ERR, "trust anchors %s cannot be loaded: %s", file,
		          regs_strerror(err));
	return err == REGS_OK ? 0 : -1;
}

static int load_card_trust(struct daemon *d)
{
	if (load_anchor(d->cfg.anchors_personal, &d->cards.anchors_personal) != 0 ||
	    load_anchor(d->cfg.anchors_institution, &d->cards.anchors_institution) != 0)
		return -1;
	if (revocation_start(&d->cards.revocation, &d->cfg, d->cards.anchors_personal,
	                     d->cards.anchors_institution) != 0) {
		regsd_log(LOG_ERR, "cannot start the CRL refresher");
		return -1;
	}
	return 0;
}

static void install_signals(void)
{
	struct sigaction sa;
	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_signal;
	sigaction(SIGTERM, &sa, NULL);
	sigaction(SIGINT, &sa, NULL);
	signal(SIGPIPE, SIG_IGN);
}

static void shutdown_daemon(struct daemon *d)
{
	direct_stop(&d->conn.direct);
	if (d->conn.bus) {
		dbus_connection_close(d->conn.bus);
		dbus_connection_unref(d->conn.bus);
	}
	mailer_stop(&d->mailer);
	if (d->flows.oob
	        .cfg) /* oob_start ran (it may have loaded a client secret before failing) */
		oob_stop(&d->flows.oob);
	rate_limit_free(d->flows.oob_rate);
	rate_limit_free(d->flows.google_rate);
	revocation_stop(&d->cards.revocation);
	x509_anchors_free(d->cards.anchors_personal);
	x509_anchors_free(d->cards.anchors_institution);
	store_close(d->data.store);
	seal_key_wipe(&d->data.key);
	/* With no pointer left in this static state, LeakSanitizer reports whatever the
	 * lines above forgot to free (R12.6). */
	regs_wipe(d, sizeof *d);
}

/* Everything after the seal key is loaded; on failure the caller still runs shutdown_daemon,
 * which wipes the key and the client secrets. */
static int start_and_serve(struct daemon *d)
{
	struct timespec ts;
	d->gate.lock.threshold = (uint32_t)d->cfg.lock_threshold;
	d->gate.lock.lock_seconds = (int64_t)d->cfg.lock_minutes * 60;
	d->conn.callers.admin_group = d->cfg.admin_group;
	d->conn.callers.verifier_group = d->cfg.verifier_group;
	clock_gettime(CLOCK_REALTIME, &ts);
	d->data.audit_seq = audit_seq_start(&ts);
	install_signals();
	dbus_threads_init_default(); /* the mail worker shares nothing with libdbus, but be safe */
	if (load_card_trust(d) != 0)
		return -1;
	if (mailer_start(&d->mailer, &d->cfg) != 0) {
		regsd_log(LOG_ERR, "cannot start the mail worker");
		return -1;
	}
	d->flows.oob_rate = rate_limit_new((unsigned)d->cfg.mobile_max_attempts,
	                                   (unsigned)d->cfg.mobile_attempt_window);
	d->flows.google_rate = rate_limit_new((unsigned)d->cfg.oidc_max_attempts,
	                                      (unsigned)d->cfg.oidc_attempt_window);
	if (!d->flows.oob_rate || !d->flows.google_rate || oob_start(&d->flows.oob, &d->cfg) != 0) {
		regsd_log(LOG_ERR, "cannot start the Google / mobile-ID workers");
		return -1;
	}
	/* The bus name first: owning it proves no other regsd runs, so a socket left at the
	 * direct path is a stale one. Without the socket pam_regs uses the bus: slower, the same
	 * answers. */
	if (claim_bus_name(d) != 0)
		return -1;
	if (direct_start(&d->conn.direct, d->cfg.direct_socket) != 0)
		regsd_log(LOG_ERR, "direct socket %s not opened: serving on the bus only",
		          d->cfg.direct_socket);
	int direct = d->conn.direct.listen_fd >= 0;
	regsd_log(LOG_INFO, "serving %s%s%s, database %s", REGS_BUS_NAME, direct ? " and " : "",
	          direct ? d->cfg.direct_socket : "", d->cfg.state_dir);
	return service_run(d, &stop_flag);
}

int main(int argc, char **argv)
{
	static struct daemon d = {.conn.direct.listen_fd = -1};
	struct options o = {0};
	if (parse_args(argc, argv, &o) != 0)
		return 2;
	umask(077);
	if (o.copy_from) /* offline: no configuration, bus or seal key */
		return (int)storecopy_run(o.copy_from, o.copy_to, stdout);
	openlog("regsd", LOG_PID | (o.log_stderr || o.check_only ? LOG_PERROR : 0), LOG_AUTHPRIV);
	if (secrets_protect_process() != 0)
		return 1;
	if (regs_config_load(&d.cfg, o.config, 1, regs_report_stderr, NULL) != REGS_OK)
		return 1;
	audit_host_default(&d.cfg);
	if (*d.cfg.smtp_url && !mail_address_valid(d.cfg.smtp_from)) {
		fprintf(stderr, "%s: smtp_from '%s' is not a plausible address (smtp_url is set)\n",
		        o.config, d.cfg.smtp_from);
		return 1;
	}
	if (secrets_check_files(&d.cfg) != 0)
		return 1;
	int rc = open_state(&d, o.check_only);
	if (rc == 0 && o.check_only)
		printf("configuration %s: ok\n", o.config);
	else if (rc == 0)
		rc = start_and_serve(&d);
	shutdown_daemon(&d);
	return rc == 0 ? 0 : 1;
}
