/* regsctl's entry point: the command table, help, and running a command. */
#ifdef HAVE_CONFIG_H
#include <autoconf.h>
#endif
#include "base/i18n.h"
#include "options.h"
#include "regsctl.h"

#include <errno.h>
#include <locale.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#ifndef PACKAGE_VERSION
#define PACKAGE_VERSION "unknown"
#endif
#ifndef LOCALEDIR
#define LOCALEDIR "/usr/share/locale"
#endif

#define REGSCTL_TIMEOUT_MS 15000

struct regsctl_command {
	const char *name;
	int (*run)(struct regsctl_context *ctx);
	int needs_regsd;
	int admin;
	unsigned options; /* TAKES() bits */
	int min_operands, max_operands;
	const char *synopsis; /* N_(); several forms are separated by newlines */
	const char *summary;  /* N_() */
	const char *details;  /* N_(), options and notes; may be "" */
	/* N_(), or NULL: the administrator's use of a user command, listed with theirs */
	const char *admin_synopsis;
	const char *admin_summary;
};

static int cmd_help(struct regsctl_context *ctx);

static const struct regsctl_command commands[] = {
    {"status", cmd_status, 1, 0, TAKES(OPTION_JSON) | TAKES(OPTION_USER), 0, 0,
     N_("status [--json] [--user NAME]"),
     N_("Show your login methods, password login and e-mail address, with an action for "
        "each."),
     N_("  --json       print JSON instead of a table\n"
        "  --user NAME  show another account (administrators)\n"
        "  When a method is bound, you are first asked for an OTP code, or with a card and no\n"
        "  OTP bound for the card and its PIN (re-verification).\n"),
     NULL, NULL},
    {"enrol", cmd_enrol, 1, 0, 0, 1, 1, N_("enrol otp"),
     N_("Bind an authenticator app (OTP): scan the QR code, then enter a code from the app."),
     N_("  The code is read from standard input; three wrong codes cancel the enrolment.\n"
        "  When OTP is already bound, use 'regsctl rebind otp'.\n"),
     NULL, NULL},
    {"rebind", cmd_rebind, 1, 0, 0, 1, 1, N_("rebind otp"),
     N_("Move OTP to a new phone: re-verify with the current app, then enrol the new one."),
     N_("  You are asked for a code from the current app (re-verification), then shown a new\n"
        "  QR code. The old binding stays until the new app's code is confirmed.\n"
        "  Lost the old phone? Use 'regsctl reset-code request'.\n"),
     NULL, NULL},
    {"password-login", cmd_password_login, 1, 0, TAKES(OPTION_YES), 1, 2,
     N_("password-login disable [--yes]\npassword-login enable [USER]"),
     N_("Disable password login (card or Google login only), or enable it again."),
     N_("  disable  needs a citizen certificate or a Google account bound; says what you\n"
        "           can still log in with and asks for confirmation\n"
        "  enable   a new password is required at the next password login\n"
        "  --yes    do not ask for confirmation\n"
        "  USER     enable another account's password login (administrators)\n"
        "  For your own account you are first asked for an OTP code (re-verification).\n"),
     N_("password-login enable USER"),
     N_("Enable USER's password login again; a new password is then required.")},
    {"email", cmd_email, 1, 0, TAKES(OPTION_NO_WAIT), 1, 2,
     N_("email set ADDRESS [--no-wait]\nemail verify CODE\nemail show"),
     N_("Set, verify or show the e-mail address that receives emergency codes."),
     N_("  set ADDRESS  mails a verification code to ADDRESS, then asks for it; the address\n"
        "               is used once verified (you are first asked for an OTP code)\n"
        "  verify CODE  verify the address later with the code from the mail\n"
        "  show         show the address and whether it is verified\n"
        "  --no-wait    only send the code; verify later with 'email verify CODE'\n"),
     NULL, NULL},
    {"reset-code", cmd_reset_code, 1, 0, TAKES(OPTION_PASSWORD) | TAKES(OPTION_NO_WAIT), 1, 2,
     N_("reset-code request [--password] [--no-wait]\nreset-code redeem CODE [--password]"),
     N_("Lost your phone? Get an emergency code by e-mail and delete all login bindings."),
     N_("  request     mails an emergency code (KX-123456; valid a few minutes), then asks\n"
        "              for it; a new request makes the previous code invalid\n"
        "  redeem CODE enter the code later\n"
        "  --password  the code is for a forgotten password: your password must be\n"
        "              changed at your next login\n"
        "  --no-wait   only send the code\n"
        "  Not available when only a card is bound or password login is disabled:\n"
        "  contact an administrator.\n"),
     NULL, NULL},
    {"log", cmd_log, 1, 0,
     TAKES(OPTION_JSON) | TAKES(OPTION_SINCE) | TAKES(OPTION_LIMIT) | TAKES(OPTION_USER) |
         TAKES(OPTION_ALL),
     0, 1, N_("log [--json] [--since YYYY-MM-DD|EPOCH] [--limit N] [USER|--user NAME|--all]"),
     N_("Show your activity log: time, event, method, service, remote host, result."),
     N_("  --json         print JSON instead of a table\n"
        "  --since WHEN   only entries from WHEN on (local date, or seconds since the epoch)\n"
        "  --limit N      at most N entries (default 100)\n"
        "  USER, --user NAME\n"
        "                 another account's log (administrators)\n"
        "  --all          every account's log (administrators)\n"
        "  Reading your own log needs no re-verification: it is not a login setting (R7.1).\n"),
     NULL, NULL},
    {"card-check", cmd_card_check, 0, 0, TAKES(OPTION_JSON) | TAKES(OPTION_WAIT), 0, 0,
     N_("card-check [--json] [--wait SECONDS]"),
     N_("Check the citizen certificate card: service, reader, card, certificate, PIN tries."),
     N_("  --json          print JSON instead of a table\n"
        "  --wait SECONDS  wait up to SECONDS for a card to be inserted (default 0)\n"
        "  The checks run in order and stop at the first failure, with a hint to fix it:\n"
        "  1 PC/SC service (pcscd), 2 card reader, 3 card inserted and recognised,\n"
        "  4 certificate readable and valid (and signed by its issuer, when the anchors\n"
        "  in regs.conf can be read), 5 PIN tries left. No PIN is asked or sent.\n"
        "  Exit status 0, or 10 + the number of the failed check (11-15).\n"),
     NULL, NULL},
    {"bind", cmd_bind, 1, 0, TAKES(OPTION_WAIT), 1, 2,
     N_("bind card [--wait SECONDS]\nbind google\nbind mobile [ID]"),
     N_("Bind your citizen certificate card, Google account or mobile citizen certificate, or "
        "replace the one bound."),
     N_("  --wait SECONDS  wait up to SECONDS for a card to be inserted (default 0)\n"
        "  Insert the card into the reader; you are asked for its PIN (card password),\n"
        "  which is sent to the card once (a locked card is refused without sending it).\n"
        "  When a method is bound already, you are also asked for an OTP code\n"
        "  (re-verification); with a card and no OTP bound, the card in the reader\n"
        "  re-verifies (it must be the bound one). A certificate is bound to one account\n"
        "  only; personal accounts bind a MOICA citizen certificate, institution accounts\n"
        "  an XCA one.\n"
        "  Exit status 4 for a wrong PIN or a certificate that fails verification, 7 when\n"
        "  the certificate is bound to another account, 9 for a certificate from another\n"
        "  authority or no current revocation list, and 11-15 as card-check when the\n"
        "  card cannot be used.\n"
        "  bind google: shows a URL, a code and a QR code; approve on your phone or\n"
        "  computer, then press Enter. OTP must be bound first (R5.1); a Google account\n"
        "  binds to one account only (exit status 7 otherwise).\n"
        "  bind mobile: asks for your national ID number (or takes ID), sends a request to\n"
        "  the TW FidO app on your phone; confirm it there (q shows a QR code to scan\n"
        "  instead), then press Enter. Only the service's hash of the number is stored.\n"
        "  Both re-verify with a bound method first.\n"),
     NULL, NULL},
    {"authorized-keys", cmd_authorized_keys, 1, 0, 0, 0, 1, N_("authorized-keys [USER]"),
     N_("Print the OpenSSH public key of the account's citizen certificate card, for sshd's "
        "AuthorizedKeysCommand."),
     N_("  Prints one line (\"ssh-rsa AAAA...\") only while regsd finds the bound\n"
        "  certificate valid: it chains to the authority of the account's class, is within\n"
        "  its validity, is not revoked, and the account is not locked. Otherwise prints\n"
        "  nothing (the reason on stderr) and still exits 0. In sshd_config:\n"
        "    AuthorizedKeysCommand /usr/bin/regsctl authorized-keys %u\n"
        "    AuthorizedKeysCommandUser regs-keys\n"
        "  USER may be another account only for root, administrators and the\n"
        "  authorized_keys_user of regs.conf (the AuthorizedKeysCommandUser).\n"),
     NULL, NULL},
    {"language", cmd_language, 1, 0, 0, 0, 1, N_("language [zh_TW|en|default]"),
     N_("Show or choose the language of your logins: Traditional Chinese or English."),
     N_("  zh_TW    Traditional Chinese\n"
        "  en       English\n"
        "  default  no language of your own: your application's language (its LANG), else\n"
        "           the site default of regs.conf\n"
        "  Without an argument, shows your choice and the site default. Your choice wins\n"
        "  over every other (also over ssh, which does not pass your LANG to the login).\n"
        "  No re-verification is asked: the language is not a security setting.\n"),
     NULL, NULL},
    {"list", cmd_list, 1, 1, TAKES(OPTION_JSON) | TAKES_FILTER, 0, 0,
     N_("list [--json] [--locked|--unbound|--otp|--password-login-disabled]"),
     N_("List accounts: class, bound methods, password login, e-mail, failures and lock "
        "state."),
     N_("  --json      print JSON instead of a table\n"
        "  --locked    only locked accounts\n"
        "  --unbound   only accounts with no method bound\n"
        "  --otp       only accounts with OTP bound\n"
        "  --password-login-disabled\n"
        "              only accounts whose password login is disabled\n"),
     NULL, NULL},
    {"unlock", cmd_unlock, 1, 1, 0, 1, 1, N_("unlock USER"),
     N_("Unlock an account locked after wrong passwords or codes."), "", NULL, NULL},
    {"reset", cmd_reset, 1, 1, 0, 1, 2, N_("reset USER [otp|card|google|mobile]"),
     N_("Delete an account's bindings (all, or only one method); the user must bind "
        "again."),
     "", NULL, NULL},
    {"set-email", cmd_set_email, 1, 1, 0, 2, 2, N_("set-email USER ADDRESS"),
     N_("Set an account's e-mail address for emergency codes (verified at once)."), "", NULL, NULL},
    {"set-class", cmd_set_class, 1, 1, 0, 2, 2, N_("set-class USER personal|institution"),
     N_("Set an account's class: personal or institution (which certificates it binds)."), "", NULL,
     NULL},
    {"set-language", cmd_set_language, 1, 1, 0, 2, 2, N_("set-language USER zh_TW|en|default"),
     N_("Set an account's language (default: none of its own, the site default applies)."), "",
     NULL, NULL},
    {"store", cmd_store, 0, 1, 0, 3, 3, N_("store copy FROM TO"),
     N_("Copy the database FROM into the empty database TO and verify the copy (root only, "
        "regsd stopped)."),
     N_("  FROM and TO are each lmdb:DIR (one host's database, as in state_dir of regs.conf)\n"
        "  or postgresql:CONNINFO (a libpq connection string, as in postgresql of regs.conf).\n"
        "  TO must hold no record. Every record is copied in one transaction (all or\n"
        "  nothing), as it is: secrets stay sealed, so TO needs the same seal key. Then both\n"
        "  are read again and compared table by table (count and SHA-256); each table's\n"
        "  count and \"verified\" are printed. Runs regsd --copy-store (regsd(8)).\n"
        "  Exit status 0 copied and verified, 3 not root, 9 TO is not empty (nothing\n"
        "  copied), 8 nothing copied or the copy differs (the reason on stderr).\n"),
     NULL, NULL},
    {"help", cmd_help, 0, 0, 0, 0, 1, N_("help [COMMAND]"), N_("Show help for a command."), "",
     NULL, NULL},
};
#define N_COMMANDS (sizeof(commands) / sizeof(commands[0]))

static const char *const exit_status_help = N_("Exit status:\n"
                                               "  0  success\n"
                                               "  1  usage error, arguments refused by regsd, "
                                               "or a confirmation answered no\n"
                                               "  2  regsd unreachable\n"
                                               "  3  access denied\n"
                                               "  4  verification failed (wrong, replayed, "
                                               "drifted or expired code; enrolment not "
                                               "confirmed)\n"
                                               "  5  account locked\n"
                                               "  6  not found (no such user or enrolment)\n"
                                               "  7  already bound\n"
                                               "  8  other error (storage, protocol, memory)\n"
                                               "  9  refused by policy (not allowed, contact an "
                                               "administrator, no verified e-mail, too soon, "
                                               "mail not sent)\n"
                                               "  11-15  card-check, bind card: check 1-5 "
                                               "failed (PC/SC service, reader, card, "
                                               "certificate, PIN)\n");

static const struct regsctl_command *find_command(const char *name)
{
	for (size_t i = 0; i < N_COMMANDS; i++) {
		if (strcmp(commands[i].name, name) == 0)
			return &commands[i];
	}
	return NULL;
}

/* Prints each form of a synopsis as "regsctl FORM", the first after first, the others after
 * next. */
static void print_synopsis(FILE *f, const char *first, const char *next, const char *synopsis)
{
	const char *prefix = first;

	for (const char *form = synopsis; *form; prefix = next) {
		size_t len = strcspn(form, "\n");

		fprintf(f, "%sregsctl %.*s\n", prefix, (int)len, form);
		form += len + (form[len] == '\n');
	}
}

static void print_usage(FILE *f)
{
	fprintf(f, _("Usage: regsctl COMMAND [OPTIONS]\n"
	             "       regsctl help COMMAND\n"
	             "       regsctl --help | --version\n"
	             "Two-factor login (pam_regs): your login methods, OTP enrolment, "
	             "password login, e-mail, emergency codes and activity log.\n"));
	for (int admin = 0; admin <= 1; admin++) {
		fputs(admin ? _("\nAdministrator commands:\n") : _("\nCommands:\n"), f);
		for (size_t i = 0; i < N_COMMANDS; i++) {
			const char *synopsis = commands[i].synopsis;
			const char *summary = commands[i].summary;

			if (admin && !commands[i].admin && commands[i].admin_synopsis) {
				synopsis = commands[i].admin_synopsis;
				summary = commands[i].admin_summary;
			} else if (commands[i].admin != admin) {
				continue;
			}
			print_synopsis(f, "  ", "  ", _(synopsis));
			fprintf(f, "      %s\n", _(summary));
		}
	}
	fprintf(f, "\n%s", _(exit_status_help));
}

static void print_command_help(const struct regsctl_command *cmd)
{
	/* TRANSLATORS: followed by "regsctl COMMAND ..."; the next forms are indented by 7. */
	print_synopsis(stdout, _("Usage: "), "       ", _(cmd->synopsis));
	printf("%s\n", _(cmd->summary));
	if (*cmd->details)
		printf("\n%s", _(cmd->details));
}

static int cmd_help(struct regsctl_context *ctx)
{
	const struct regsctl_command *cmd;

	if (ctx->args.n_operands == 0) {
		print_usage(stdout);
		return REGSCTL_EXIT_OK;
	}
	cmd = find_command(ctx->args.operands[0]);
	if (!cmd) {
		regsctl_error(_("unknown command '%s' (see 'regsctl --help')"),
		              ctx->args.operands[0]);
		return REGSCTL_EXIT_USAGE;
	}
	print_command_help(cmd);
	return REGSCTL_EXIT_OK;
}

int regsctl_usage_error(const char *command)
{
	fprintf(stderr, _("Try 'regsctl help %s'.\n"), command);
	return REGSCTL_EXIT_USAGE;
}

int regsctl_run_subcommand(struct regsctl_context *ctx, const char *command,
                           const struct regsctl_subcommand *subs, size_t n)
{
	const char *name = ctx->args.operands[0];
	int n_args = ctx->args.n_operands - 1;

	for (size_t i = 0; i < n; i++) {
		if (strcmp(name, subs[i].name) != 0)
			continue;
		if (n_args >= subs[i].min_args && n_args <= subs[i].max_args)
			return subs[i].run(ctx, ctx->args.operands + 1, n_args);
		regsctl_error(_("wrong number of arguments for '%s %s'"), command, name);
		return regsctl_usage_error(command);
	}
	regsctl_error(_("unknown action '%s' for '%s'"), name, command);
	return regsctl_usage_error(command);
}

static int run_command(const struct regsctl_command *cmd, struct regsctl_context *ctx)
{
	enum regs_client_err err;
	int code;

	if (!cmd->needs_regsd)
		return cmd->run(ctx);
	err = regs_client_open_bus(REGSCTL_TIMEOUT_MS, &ctx->client);
	if (err != RC_OK)
		return regsctl_report_failure(NULL, err);
	regsctl_use_account_language(ctx);
	code = cmd->run(ctx);
	regs_client_close(ctx->client);
	ctx->client = NULL;
	return code;
}

/* Options before the command: only --help and --version. */
static int run_global_option(const char *arg)
{
	if (strcmp(arg, "--help") == 0 || strcmp(arg, "-h") == 0) {
		print_usage(stdout);
		return REGSCTL_EXIT_OK;
	}
	if (strcmp(arg, "--version") == 0) {
		printf("regsctl (pam_regs) %s\n", PACKAGE_VERSION);
		return REGSCTL_EXIT_OK;
	}
	regsctl_error(_("unknown option '%s'"), arg);
	fputs(_("Try 'regsctl --help'.\n"), stderr);
	return REGSCTL_EXIT_USAGE;
}

static int dispatch(int argc, char **argv)
{
	const struct regsctl_command *cmd;
	struct regsctl_context ctx = {0};
	int help = 0, code;

	if (argc < 2) {
		print_usage(stderr);
		return REGSCTL_EXIT_USAGE;
	}
	if (argv[1][0] == '-')
		return run_global_option(argv[1]);
	cmd = find_command(argv[1]);
	if (!cmd) {
		regsctl_error(_("unknown command '%s' (see 'regsctl --help')"), argv[1]);
		return REGSCTL_EXIT_USAGE;
	}
	struct regsctl_syntax syntax = {cmd->name, cmd->options, cmd->min_operands,
	                                cmd->max_operands};
	code = regsctl_parse_arguments(&syntax, argc - 1, argv + 1, &ctx.args, &help);
	if (code != REGSCTL_EXIT_OK)
		return code;
	if (help) {
		print_command_help(cmd);
		return REGSCTL_EXIT_OK;
	}
	return run_command(cmd, &ctx);
}

int main(int argc, char **argv)
{
	int code;

	setlocale(LC_ALL, "");
	bindtextdomain(REGS_TEXTDOMAIN, LOCALEDIR);
	/* Codes are read from stdin: unbuffered, so no copy stays in stdio's buffer and each
	 * prompt reads only its own line. */
	setvbuf(stdin, NULL, _IONBF, 0);
	code = dispatch(argc, argv);
	if (fflush(stdout) != 0 || ferror(stdout)) {
		regsctl_error(_("cannot write the output: %s"), strerror(errno));
		if (code == REGSCTL_EXIT_OK)
			code = REGSCTL_EXIT_OTHER;
	}
	return code;
}
