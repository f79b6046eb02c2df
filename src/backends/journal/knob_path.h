// Which files the restore journal may name, and so which files a restore may write (DESIGN §10:
// the journal "names paths under the sysfs root").
//
// A knob path is as the backends' SysfsRoot sees it: absolute, under /sys/ or /dev/ (the only
// places a knob lives), without empty, "." or ".." components. That much is checked on the
// text (check_knob_path); resolve_knob_path then follows the path's symbolic links inside the
// root and requires the result to stay under /sys/ or /dev/ of the same root, so neither
// "/sys/../etc/shadow" nor a link planted under /sys that leads elsewhere is ever written.
//
// Thread safety: check_knob_path is pure; resolve_knob_path uses `root` (see SysfsRoot).
#pragma once

#include <string>
#include <string_view>

#include "backends/sysfs.h"
#include "util/status.h"

namespace perfqos::daemon {

// Ok when `path` is a well-formed knob path; otherwise EINVAL with a message saying why.
Status check_knob_path(std::string_view path);

// The file `path` names once its links are resolved in `root`, as a knob path.
// Errors: EINVAL (check_knob_path); EXDEV when it leads out of the root or out of /sys and
// /dev; otherwise the errno of the resolution (ENOENT when the file is gone).
Status resolve_knob_path(backends::SysfsRoot& root, std::string_view path, std::string* resolved);

}  // namespace perfqos::daemon
