// What toml++ must not be shown: Debian 12's toml++ 3.3 has undefined behaviour on some
// non-ASCII code points outside strings and comments, so config text is checked first.
#pragma once

#include <string_view>

namespace perfqos::daemon {

// The 1-based line of the first non-ASCII byte outside a TOML comment, or 0 if there is none.
//
// Why: toml++ 3.3 (Debian 12's) reaches __builtin_unreachable(), undefined behaviour, when it
// asks whether some non-ASCII code points (U+00A1..U+0499, U+2C7E..U+3077, U+FB06..U+FEFE) are
// whitespace (is_non_ascii_horizontal_whitespace(); upstream issues #190 and #295). It asks
// outside strings, in keys, and after a backslash in multi-line strings, but never in comments.
// perfqos keys and values are ASCII, so the text is checked before toml++ sees it. Strings are
// tracked only so that a '#' inside one does not start a comment.
int non_ascii_line(std::string_view text);

}  // namespace perfqos::daemon
