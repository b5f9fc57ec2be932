"""The bus contract's names and numbers as the tests use them (lib/proto/bus.h)."""

BUS_NAME = "tw.regs.Daemon1"
BUS_PATH = "/tw/regs/Daemon1"
BUS_IFACE = "tw.regs.Daemon1"

F_OTP_BOUND = 1 << 0
F_CARD_BOUND = 1 << 1
F_GOOGLE_BOUND = 1 << 2
F_MOBILE_BOUND = 1 << 3
F_PASSWORD_LOGIN_DISABLED = 1 << 4
F_LOCKED = 1 << 5
F_KNOWN = 1 << 6
R_OK, R_WRONG, R_REPLAYED, R_CLOCK_DRIFT, R_LOCKED, R_NOT_BOUND, R_MALFORMED, R_EXPIRED = range(8)

F_MUST_CHANGE_PASSWORD = 1 << 7
F_PASSWORD_EXPIRED = 1 << 8
F_EMAIL_VERIFIED = 1 << 9
F_INSTITUTION = 1 << 10
