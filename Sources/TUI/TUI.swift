// The ncurses front end arrives with the terminal studio issue.
import CNcurses
import Doodle
