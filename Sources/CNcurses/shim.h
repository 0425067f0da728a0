// ncursesw (Debian libncurses-dev), wide-character build.
#define _XOPEN_SOURCE_EXTENDED 1
#include <locale.h>
#include <ncursesw/ncurses.h>
