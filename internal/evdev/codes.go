package evdev

// Event types and codes used here, from linux/input-event-codes.h.
const (
	evSyn = 0x00 // EV_SYN
	evKey = 0x01 // EV_KEY
	evLed = 0x11 // EV_LED

	synReport  = 0 // SYN_REPORT
	synDropped = 3 // SYN_DROPPED

	ledNumL  = 0x00 // LED_NUML
	ledCapsL = 0x01 // LED_CAPSL
	ledMax   = 0x0f // LED_MAX

	keyMax = 0x2ff // KEY_MAX

	keyEsc        = 1
	key1          = 2
	key2          = 3
	key0          = 11
	keyMinus      = 12
	keyEqual      = 13
	keyBackspace  = 14
	keyTab        = 15
	keyQ          = 16
	keyP          = 25
	keyEnter      = 28
	keyLeftCtrl   = 29
	keyA          = 30
	keyL          = 38
	keySemicolon  = 39
	keyApostrophe = 40
	keyGrave      = 41
	keyLeftShift  = 42
	keyBackslash  = 43
	keyZ          = 44
	keyM          = 50
	keyComma      = 51
	keyDot        = 52
	keySlash      = 53
	keyRightShift = 54
	keyKPAsterisk = 55
	keyLeftAlt    = 56
	keySpace      = 57
	keyCapsLock   = 58
	keyF1         = 59
	keyNumLock    = 69
	keyKP7        = 71
	keyKP8        = 72
	keyKP9        = 73
	keyKPMinus    = 74
	keyKP4        = 75
	keyKP5        = 76
	keyKP6        = 77
	keyKPPlus     = 78
	keyKP1        = 79
	keyKP2        = 80
	keyKP3        = 81
	keyKP0        = 82
	keyKPDot      = 83
	key102nd      = 86
	keyKPEnter    = 96
	keyRightCtrl  = 97
	keyKPSlash    = 98
	keyRightAlt   = 100
	keyUp         = 103
	keyLeft       = 105
	keyDown       = 108
	keyPower      = 116
	keyKPEqual    = 117
	btnLeft       = 0x110
)
