/* perf_qos_ioctl.h: the ioctl ABI of perfqosd's perf QoS nodes, <mount>/perf_qos/<device>
 * (DESIGN §5), usable from C and C++. It follows the perf QoS RFC (Nov 2024) number for number;
 * the macros here encode the size of the argument structure, not of a pointer to it.
 *
 * A named knob (EPP, a platform profile) has a node of its own: <device>.<knob> beside the
 * device's range (policy0.epp) or <device> when it is the device's only knob
 * (platform_profile). Its values are the indices of its words, 0 the most power saving
 * (perfqosctl list shows them); GET_UNIT answers 255 for it, no unit of the RFC's, as for a
 * cpufreq policy's range in kHz.
 *
 * Every open file description of a node is one holder: it may keep one min request and one max
 * request on the device's range. Both go when the last descriptor sharing it is closed (fork, dup
 * and SCM_RIGHTS share it).
 *
 * Commands (ioctl(fd, CMD, &arg) returns 0, or -1 with errno):
 *   PERF_QOS_IOC_SET_MIN, _SET_MAX  (in: arg.value) set this file's min (floor) or max (cap).
 *       EALREADY  this file already has exactly that value on that end; nothing changes
 *       EINVAL    value below limit_min or above limit_max; or value is the hard limit of that
 *                 end (limit_min for SET_MIN, limit_max for SET_MAX), which removes this file's
 *                 request on that end, and this file has none
 *       EACCES    the caller (its uid and gid, checked on every call, not at open) may not place
 *                 requests on the device
 *   PERF_QOS_IOC_GET_MIN, _GET_MAX  (out: arg.value) the device's effective min or max.
 *       ENODATA   nobody has a request on that end of the device
 *   PERF_QOS_IOC_GET_EFFECTIVE_MIN, _GET_EFFECTIVE_MAX  (out: arg.value) the effective min or max
 *       even with no request: an end nobody constrains reads its hard limit. When the floor
 *       exceeds the cap, the cap wins (effective min = effective max).
 *   PERF_QOS_IOC_GET_UNIT    (out: arg.unit) the unit of the device's values.
 *   PERF_QOS_IOC_GET_LIMITS  (out: arg.limit_min, arg.limit_max) the hard limits.
 * Output fields a command does not name read 0. Errors every command may return:
 *       ENODEV    the device was removed while this file was open (it stays ENODEV, even if a
 *                 device of the same name appears later: reopen the node)
 *       ENOTTY    not one of these commands: another type than 'P', an unknown number, or a
 *                 direction or size that does not match the number
 *
 * Commands as the RFC posted them, which encode the size of a pointer (_IOW('P', n,
 * struct perf_qos_ioctl_arg *)), are accepted where the answer fits in that many bytes, i.e. in
 * the leading fields of the structure; only those bytes are read or written:
 *   - SET_*, GET_MIN/MAX, GET_EFFECTIVE_*: arg.value, as above;
 *   - GET_UNIT: the unit in arg.value (arg.unit lies past the pointer size);
 *   - GET_LIMITS (8-byte pointers only): arg.limit_min = limit_min and arg.value = limit_max
 *     (arg.limit_max lies past 8 bytes and is not written); with 4-byte pointers: ENOTTY.
 * PERF_QOS_IOC_RFC_* below spell those encodings.
 *
 * A read() of a node returns one line of text:
 *   "min <effective min> max <effective max> limits <limit_min>..<limit_max> unit <unit>\n"
 * e.g. "min 300 max 1024 limits 0..1024 unit normal\n". write() is EINVAL.
 */
#ifndef PERFQOS_PERF_QOS_IOCTL_H
#define PERFQOS_PERF_QOS_IOCTL_H

#include <linux/ioctl.h>

#ifdef __cplusplus
extern "C" {
#endif

/* Command numbers (_IOC_NR). */
enum {
  PERF_QOS_IOC_SET_MIN_CMD = 0,
  PERF_QOS_IOC_GET_MIN_CMD = 1,
  PERF_QOS_IOC_SET_MAX_CMD = 2,
  PERF_QOS_IOC_GET_MAX_CMD = 3,
  PERF_QOS_IOC_GET_UNIT_CMD = 4,
  PERF_QOS_IOC_GET_LIMITS_CMD = 5,
  /* perfqos additions */
  PERF_QOS_IOC_GET_EFFECTIVE_MIN_CMD = 6,
  PERF_QOS_IOC_GET_EFFECTIVE_MAX_CMD = 7,
  PERF_QOS_IOC_MAX_CMD = 8
};

/* The unit of a device's values: NORMAL is 0..1024 (a share of the device's full performance),
 * KBPS is kbit/s. */
typedef enum {
  PERF_QOS_UNIT_NORMAL = 0,
  PERF_QOS_UNIT_KBPS = 1,
  PERF_QOS_UNIT_MAX
} perf_qos_unit_t;

struct perf_qos_ioctl_arg {
  int value;
  int limit_min;
  int limit_max;
  perf_qos_unit_t unit;
};

#define PERF_QOS_IOCTL_TYPE 'P'

#define PERF_QOS_IOC_SET_MIN \
  _IOW(PERF_QOS_IOCTL_TYPE, PERF_QOS_IOC_SET_MIN_CMD, struct perf_qos_ioctl_arg)
#define PERF_QOS_IOC_GET_MIN \
  _IOR(PERF_QOS_IOCTL_TYPE, PERF_QOS_IOC_GET_MIN_CMD, struct perf_qos_ioctl_arg)
#define PERF_QOS_IOC_SET_MAX \
  _IOW(PERF_QOS_IOCTL_TYPE, PERF_QOS_IOC_SET_MAX_CMD, struct perf_qos_ioctl_arg)
#define PERF_QOS_IOC_GET_MAX \
  _IOR(PERF_QOS_IOCTL_TYPE, PERF_QOS_IOC_GET_MAX_CMD, struct perf_qos_ioctl_arg)
#define PERF_QOS_IOC_GET_UNIT \
  _IOR(PERF_QOS_IOCTL_TYPE, PERF_QOS_IOC_GET_UNIT_CMD, struct perf_qos_ioctl_arg)
#define PERF_QOS_IOC_GET_LIMITS \
  _IOR(PERF_QOS_IOCTL_TYPE, PERF_QOS_IOC_GET_LIMITS_CMD, struct perf_qos_ioctl_arg)
#define PERF_QOS_IOC_GET_EFFECTIVE_MIN \
  _IOR(PERF_QOS_IOCTL_TYPE, PERF_QOS_IOC_GET_EFFECTIVE_MIN_CMD, struct perf_qos_ioctl_arg)
#define PERF_QOS_IOC_GET_EFFECTIVE_MAX \
  _IOR(PERF_QOS_IOCTL_TYPE, PERF_QOS_IOC_GET_EFFECTIVE_MAX_CMD, struct perf_qos_ioctl_arg)

/* The RFC's encodings (size of a pointer); see above for what they return. */
#define PERF_QOS_IOC_RFC_SET_MIN \
  _IOW(PERF_QOS_IOCTL_TYPE, PERF_QOS_IOC_SET_MIN_CMD, struct perf_qos_ioctl_arg*)
#define PERF_QOS_IOC_RFC_GET_MIN \
  _IOR(PERF_QOS_IOCTL_TYPE, PERF_QOS_IOC_GET_MIN_CMD, struct perf_qos_ioctl_arg*)
#define PERF_QOS_IOC_RFC_SET_MAX \
  _IOW(PERF_QOS_IOCTL_TYPE, PERF_QOS_IOC_SET_MAX_CMD, struct perf_qos_ioctl_arg*)
#define PERF_QOS_IOC_RFC_GET_MAX \
  _IOR(PERF_QOS_IOCTL_TYPE, PERF_QOS_IOC_GET_MAX_CMD, struct perf_qos_ioctl_arg*)
#define PERF_QOS_IOC_RFC_GET_UNIT \
  _IOR(PERF_QOS_IOCTL_TYPE, PERF_QOS_IOC_GET_UNIT_CMD, struct perf_qos_ioctl_arg*)
#define PERF_QOS_IOC_RFC_GET_LIMITS \
  _IOR(PERF_QOS_IOCTL_TYPE, PERF_QOS_IOC_GET_LIMITS_CMD, struct perf_qos_ioctl_arg*)

#ifdef __cplusplus
}
#endif

#endif /* PERFQOS_PERF_QOS_IOCTL_H */
