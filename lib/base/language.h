/* The languages pam_regs ships messages in (R9.6): the one list regs.conf, regsd and the module
 * use. */
#ifndef REGS_LANGUAGE_H
#define REGS_LANGUAGE_H

/* A language tag with its NUL fits in this many bytes ("zh_TW", "en"). */
#define REGS_LANGUAGE_MAX 8

/* The tags, NULL-terminated: "zh_TW" (Traditional Chinese) and "en" (English). */
extern const char *const regs_languages[];

/* 1 when tag is one of regs_languages. */
int regs_language_known(const char *tag);

/* The locale that shows tag's messages: "zh_TW.UTF-8" for zh_TW; for en the C locale, whose
 * messages are the English texts themselves. NULL for an unknown tag. */
const char *regs_language_locale(const char *tag);

/* 1 when a locale name (a value of LANG, LC_ALL, LC_MESSAGES) chooses a language: C, POSIX and
 * C.UTF-8 choose none (their messages are the English texts by default, not by choice). */
int regs_locale_chooses_language(const char *name);

#endif
