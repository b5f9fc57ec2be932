/* regsctl language and set-language (R9.6): the language of one's logins, chosen by the user or
 * set by an administrator. */
#include "base/i18n.h"
#include "base/language.h"
#include "regsctl.h"

#include <locale.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define LANGUAGE_DEFAULT "default"

/* The language's name in the reader's language, with its tag. */
static const char *language_name(const char *tag)
{
	if (strcmp(tag, "zh_TW") == 0)
		return _("Traditional Chinese (zh_TW)");
	if (strcmp(tag, "en") == 0)
		return _("English (en)");
	return tag;
}

/* "zh_TW", "en", or "default" (""): the tag for regsd; NULL, with the reason said, otherwise. */
static const char *language_operand(const char *operand)
{
	if (strcmp(operand, LANGUAGE_DEFAULT) == 0)
		return "";
	if (regs_language_known(operand))
		return operand;
	regsctl_error(_("unknown language '%s': use zh_TW, en or default"), operand);
	return NULL;
}

static int show_language(struct regsctl_context *ctx)
{
	struct regs_account_info info;
	enum regs_client_err err = regs_get_account(ctx->client, "", &info);

	if (err != RC_OK)
		return regsctl_report_failure(ctx->client, err);
	if (*info.language)
		printf(_("Your language: %s\n"), language_name(info.language));
	else
		printf(_("Your language: not chosen (your application's language, else the site "
		         "default)\n"));
	if (*info.site_language)
		printf(_("Site default: %s\n"), language_name(info.site_language));
	else
		printf(_("Site default: none (the system's language)\n"));
	return REGSCTL_EXIT_OK;
}

static int set_language(struct regsctl_context *ctx, const char *user, const char *operand)
{
	const char *tag = language_operand(operand);
	enum regs_client_err err;

	if (!tag)
		return regsctl_usage_error(*user ? "set-language" : "language");
	err = regs_set_language(ctx->client, user, tag);
	if (err != RC_OK)
		return regsctl_report_failure(ctx->client, err);
	if (*user && *tag)
		printf(_("The language of %s is now %s.\n"), user, language_name(tag));
	else if (*user)
		printf(_("%s has no language of their own now: the site default applies.\n"), user);
	else if (*tag)
		printf(_("Your language is now %s, from your next login on.\n"),
		       language_name(tag));
	else
		printf(_("You have no language of your own now: your application's language, else "
		         "the site default, applies.\n"));
	return REGSCTL_EXIT_OK;
}

/* The terminal's own locale variables, as setlocale read them: do they choose a language? */
static int terminal_chooses_language(void)
{
	static const char *const variables[] = {"LC_ALL", "LC_MESSAGES", "LANG"};
	for (size_t i = 0; i < sizeof(variables) / sizeof(variables[0]); i++) {
		const char *v = getenv(variables[i]);
		if (v && *v)
			return regs_locale_chooses_language(v);
	}
	return 0;
}

void regsctl_use_account_language(struct regsctl_context *ctx)
{
	struct regs_account_info info;

	if (regs_get_account(ctx->client, "", &info) != RC_OK)
		return; /* the command itself will say why regsd does not answer */
	const char *name = regs_language_locale(info.language);
	if (!name && terminal_chooses_language())
		return;
	if (!name)
		name = regs_language_locale(info.site_language);
	if (!name)
		return;
	/* A chosen language is not overridden by a LANGUAGE list of the environment. */
	unsetenv("LANGUAGE");
	if (strcmp(name, "C") != 0)
		setlocale(LC_CTYPE, name); /* the translations' characters, not ASCII */
	setlocale(LC_MESSAGES, name);
}

int cmd_language(struct regsctl_context *ctx)
{
	if (ctx->args.n_operands == 0)
		return show_language(ctx);
	return set_language(ctx, "", ctx->args.operands[0]);
}

int cmd_set_language(struct regsctl_context *ctx)
{
	return set_language(ctx, ctx->args.operands[0], ctx->args.operands[1]);
}
