/* perfqos client library: the stable C API to perfqosd (libperfqos.so, pkg-config "perfqos").
 *
 * A perfqos_client is one connection to the daemon's socket. The connection is the holder of
 * the requests added through it: closing it (or the process exiting) drops them all. Every call
 * sends one request and waits for its reply; replies are matched to requests by tag, so a late
 * reply to a call that timed out is recognised and discarded. Notifications of subscribed
 * devices that arrive while a call waits for its reply are queued (at most
 * PERFQOS_EVENT_QUEUE_MAX; beyond that the oldest is dropped and counted) and returned by
 * perfqos_next_event().
 *
 * Return convention: 0 on success, -errno on failure, with errno set to the same positive
 * value; perfqos_last_error() then describes the failure ("cpu_dma_latency.latency: value -5 out
 * of range: allowed 0..2000000000 or -1"). Errors of every call:
 *   -ETIMEDOUT    no reply within the client's timeout (perfqos_set_timeout; default 5000 ms)
 *   -ECONNRESET   the daemon closed the connection (or died); -EPIPE when a send found it
 *                 closed. The client is then unusable: close it and connect again.
 *   -EPROTO       the daemon sent a frame this library cannot parse, or refused ours
 *   -ENOMEM       out of memory
 * plus what the daemon answers (EINVAL value out of range or no such knob, ENODEV no such
 * device, ENOENT no such request, EACCES not allowed by policy, EDQUOT over a quota, EUSERS over
 * the connection quota, ...). SIGPIPE is never raised.
 *
 * Values: int32_t in the knob's unit (see perfqos_knob_info.unit): latencies in µs, throughput in
 * kbit/s, memory bandwidth in Mbit/s, frequencies in kHz (cpufreq) or Hz (devfreq), performance
 * in "normal" units 0..1024 or kbps, power in µW, flags as a bit set. A value of
 * PERFQOS_DEFAULT_VALUE (-1) requests the knob's default; other negative values are invalid.
 *
 * Knob names: "latency", "throughput", "bandwidth", "resume_latency", "latency_tolerance",
 * "flags", and "min" / "max" for the two ends of a range knob (as in `perfqosctl hold
 * gpu.min=600`). NULL or "" names the device's only knob.
 *
 * Thread safety: one perfqos_client may be used by one thread at a time; distinct clients are
 * independent. perfqos_last_error(NULL) is thread-local.
 *
 * Memory: strings passed in are copied before the call returns. Arrays returned through an
 * out-pointer (perfqos_list, perfqos_status) are allocated by the library and released with
 * perfqos_free(). The string of perfqos_last_error() lives until the next call on that client.
 */
#ifndef PERFQOS_CLIENT_H
#define PERFQOS_CLIENT_H

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

#if defined(PERFQOS_BUILDING_LIBRARY)
#define PERFQOS_EXPORT __attribute__((visibility("default")))
#else
#define PERFQOS_EXPORT
#endif

#define PERFQOS_DEFAULT_SOCKET "/run/perfqos/perfqosd.sock"
#define PERFQOS_SOCKET_ENV "PERFQOS_SOCKET"
#define PERFQOS_DEFAULT_TIMEOUT_MS 5000
#define PERFQOS_DEFAULT_VALUE (-1)
#define PERFQOS_EVENT_QUEUE_MAX 1024
#define PERFQOS_MAX_KNOBS 16
#define PERFQOS_MAX_CGROUP_LIMITS 32
#define PERFQOS_MAX_CHOICES 16

struct perfqos_client; /* opaque */

enum perfqos_list_type {
  PERFQOS_LIST_MIN = 0,   /* effective = smallest request (latency) */
  PERFQOS_LIST_MAX = 1,   /* largest request (throughput) */
  PERFQOS_LIST_SUM = 2,   /* sum of requests (memory bandwidth) */
  PERFQOS_LIST_FLAGS = 3, /* bitwise OR */
  PERFQOS_LIST_RANGE = 4  /* [max of min requests, min of max requests] */
};

enum perfqos_end { PERFQOS_END_NONE = 0, PERFQOS_END_MIN = 1, PERFQOS_END_MAX = 2 };

enum perfqos_holder_kind {
  PERFQOS_HOLDER_CONNECTION = 0,
  PERFQOS_HOLDER_FUSE = 1,
  PERFQOS_HOLDER_CGROUP_BINDING = 2,
  PERFQOS_HOLDER_INTERNAL = 3
};

/* An effective value. One-valued knobs: is_range = 0 and value == min == max. Range knobs:
 * is_range = 1, [min, max] the effective ends, value == min. */
struct perfqos_effective {
  int32_t value;
  int32_t min;
  int32_t max;
  int is_range;
};

/* What an add/update/remove/bind/unbind did to its knob. */
struct perfqos_change {
  int changed;                        /* 1 when the effective value changed */
  struct perfqos_effective effective; /* after the operation */
};

struct perfqos_knob_info {
  char name[32]; /* "latency", ..., "range" */
  enum perfqos_list_type list_type;
  char unit[16]; /* "us", "kbit/s", "Mbit/s", "kHz", "Hz", "normal", "kbps", "uW", "flags" */
  int32_t default_value;
  int32_t no_constraint_value;
  int32_t min_request; /* valid requests: min_request..max_request, or -1 */
  int32_t max_request;
  struct perfqos_effective effective;
  int32_t limit_min; /* range knobs: the hard limits; 0 otherwise */
  int32_t limit_max;
  uint32_t active_requests;
};

struct perfqos_device_info {
  char name[64];
  char kind[32];      /* "class", "cpu", "cpufreq", "devfreq", "cooling", "powercap", "perf", ... */
  char parent[64];    /* "" when none */
  char perf_unit[16]; /* "", "normal" or "kbps" */
  int32_t last_errno; /* the backend's last error (positive errno), 0 when none */
  char last_error[256];
  uint32_t error_count;
  size_t knob_count;
  struct perfqos_knob_info knobs[PERFQOS_MAX_KNOBS];
};

struct perfqos_holder_info {
  char device[64];
  char knob[32]; /* "range" for both ends of a range; see end */
  enum perfqos_end end;
  int32_t value;
  uint32_t request_id;
  enum perfqos_holder_kind holder_kind;
  int32_t pid;
  uint32_t uid;
  uint32_t gid;
  char comm[16];
  char cgroup[4096];
  char label[64];        /* e.g. "process_1234" */
  int binding;           /* 1 when this request currently sets the effective value */
  uint32_t remaining_ms; /* until the request expires; 0 = untimed */
};

/* Since PERFQOS_0.3: the words of a named knob (unit "choice": a cpufreq policy's "epp", a
 * platform profile's "profile"), from the most power saving to the most performant: value i of
 * the knob's range is names[i]. Requests on a named knob are ranges ("epp.min" a floor,
 * "epp.max" a cap) whose values are these indices. */
struct perfqos_knob_choices {
  char device[64];
  char knob[32]; /* "epp", "profile" */
  size_t count;
  char names[PERFQOS_MAX_CHOICES][32];
};

/* Since PERFQOS_0.2: a request as perfqos_status_noted() shows it, with what its requester said
 * of it. (perfqos_holder_info cannot grow within this soname.) */
#define PERFQOS_MAX_REASON 127
#define PERFQOS_MAX_APP_ID 63
struct perfqos_holder_note_info {
  struct perfqos_holder_info holder;
  char reason[PERFQOS_MAX_REASON + 1]; /* why it is held; "" when not said */
  char app_id[PERFQOS_MAX_APP_ID + 1]; /* the application that holds it; "" when not said */
};

/* A cap or floor of a cgroup's data on one knob ("min"/"max" for range knobs). */
struct perfqos_cgroup_limit {
  char knob[32];
  int has_floor; /* 1 when floor is set */
  int32_t floor;
  int has_cap; /* 1 when cap is set */
  int32_t cap;
};

/* The data one device keeps for one client cgroup: from the first request a member of the cgroup
 * places on the device until the cgroup is removed or the device goes. */
struct perfqos_cgroup_info {
  char device[64];
  char cgroup[4096]; /* cgroup v2 path; "/" for the root cgroup */
  size_t limit_count;
  struct perfqos_cgroup_limit limits[PERFQOS_MAX_CGROUP_LIMITS];
  uint32_t admitted; /* requests of members the policy admitted (saturating) */
  uint32_t refused;  /* requests of members the policy refused (saturating) */
};

/* Since PERFQOS_0.3: what perfqos_explain() tells of one knob for the caller. */
#define PERFQOS_MAX_EXPLAIN_GRANTS 16
#define PERFQOS_MAX_EXPLAIN_SETTERS 8
/* A grant of the daemon's config that matches the caller and the knob. */
struct perfqos_grant_info {
  char device[64]; /* glob */
  char knob[32];   /* a knob name, "range" or "*" */
  int32_t min;     /* the values it allows: min..max */
  int32_t max;
  char origin[256]; /* "file:line" of the config */
};
struct perfqos_explain_info {
  char device[64];
  char knob[32];       /* the resolved knob: "latency", ..., "range" */
  enum perfqos_end end; /* a range's end explained; NONE: one-valued, or both ends */
  char unit[16];
  struct perfqos_effective effective; /* now */
  int32_t min_request; /* valid requests min_request..max_request (or -1); a range: its hard */
  int32_t max_request; /* limits */
  uint32_t caller_uid;
  char caller_cgroup[4096];
  int unrestricted; /* 1 for uid 0: the policy admits any value */
  size_t grants_total; /* the caller's grants on the knob; the first grant_count follow */
  size_t grant_count;
  struct perfqos_grant_info grants[PERFQOS_MAX_EXPLAIN_GRANTS];
  struct perfqos_cgroup_limit limit; /* caps and floors for the caller's cgroup on the knob */
  char limit_origin[256];            /* where they come from; "" when none */
  size_t setters_total; /* the requests setting the effective value; the first setter_count */
  size_t setter_count;
  struct perfqos_holder_note_info setters[PERFQOS_MAX_EXPLAIN_SETTERS];
  int has_value; /* 1 when a value was judged: the rest is the verdict */
  int32_t value;
  int32_t verdict_errno; /* 0: an add of value would be admitted; else its errno (EACCES, ...) */
  char verdict[1024];    /* the add's refusal message; "" when admitted */
  int would_change;      /* admitted: the effective value would change */
  struct perfqos_effective would_be; /* admitted: the effective value after the add */
};

/* Since PERFQOS_0.3: one cgroup binding, as perfqos_bindings() lists it. */
struct perfqos_binding_info {
  uint32_t binding_id;
  char cgroup[4096];
  char device[64];
  char knob[32]; /* "range" for both ends of a range; see end */
  enum perfqos_end end;
  int32_t value;
  int active;   /* 1: its request is in force (the cgroup is populated); 0: waiting */
  uint32_t uid; /* the binder; 0 for the config's */
  char origin[256]; /* "file:line" of the config's [[bind]]; "" for a client's */
  char reason[PERFQOS_MAX_REASON + 1];
  char app_id[PERFQOS_MAX_APP_ID + 1];
};

/* Since PERFQOS_0.4: one request of a profile, as perfqos_profile() resolves it. */
struct perfqos_profile_request {
  char device[64];
  char knob[32];        /* as perfqos_bind takes it, end included: "min", "epp.max" */
  enum perfqos_end end; /* the end that knob names; NONE for a one-valued knob */
  int32_t value;        /* in the knob's unit; a named knob's word as its index */
};

/* One effective-value change of a subscribed device. */
struct perfqos_event {
  char device[64];
  char knob[32];
  struct perfqos_effective old_value;
  struct perfqos_effective new_value;
  uint32_t dropped; /* events dropped (queue full) just before this one */
};

/* Since PERFQOS_0.3: which request caused an event (perfqos_next_event_noted). */
enum perfqos_change_action {
  PERFQOS_ACTION_ADD = 0,    /* the request was placed */
  PERFQOS_ACTION_UPDATE = 1, /* its value was changed */
  PERFQOS_ACTION_REMOVE = 2  /* it was removed, expired, or its holder went */
};
struct perfqos_event_cause {
  int known; /* 1 when the daemon said (protocol version 3); 0: the rest is empty */
  enum perfqos_holder_kind holder_kind;
  int32_t pid;
  uint32_t uid;
  char comm[16];
  uint32_t request_id; /* unique per holder */
  enum perfqos_change_action action;
  char reason[PERFQOS_MAX_REASON + 1];
  char app_id[PERFQOS_MAX_APP_ID + 1];
};

/* One request of perfqos_add_many(). */
struct perfqos_add_spec {
  const char* device;
  const char* knob; /* as for perfqos_add */
  int32_t value;
  uint32_t duration_ms; /* 0 = untimed */
};

/* Connects to perfqosd. path: the socket, or NULL for $PERFQOS_SOCKET, else
 * PERFQOS_DEFAULT_SOCKET. timeout_ms: for the connect and, afterwards, every reply; 0 means
 * PERFQOS_DEFAULT_TIMEOUT_MS. On success *out is a new client (free with perfqos_close).
 * Returns 0, -ENOENT (no socket there), -ECONNREFUSED (no daemon listening), -ETIMEDOUT (the
 * daemon did not accept in time), -EACCES, -ENAMETOOLONG, -EINVAL (out is NULL). The message of
 * a failure is in perfqos_last_error(NULL). */
PERFQOS_EXPORT int perfqos_connect(const char* path, int timeout_ms, struct perfqos_client** out);

/* Wraps an already connected SOCK_SEQPACKET socket (inherited or received by fd passing); the
 * client owns fd from now on, also on failure. */
PERFQOS_EXPORT int perfqos_connect_fd(int fd, int timeout_ms, struct perfqos_client** out);

/* Closes the connection (dropping its requests) and frees the client. NULL is a no-op. */
PERFQOS_EXPORT void perfqos_close(struct perfqos_client* client);

/* The socket, for poll(): readable when a frame (typically a notification) arrives. Events
 * already queued do not make it readable: drain perfqos_next_event(client, ev, 0) until -EAGAIN
 * before polling. Do not read from or close it. */
PERFQOS_EXPORT int perfqos_fd(const struct perfqos_client* client);

/* Sets the reply timeout in ms (> 0). A client from perfqos_connect waits for replies in a
 * blocking recv bounded by the socket's SO_RCVTIMEO, which this sets too; processes that share
 * such a connection (fork) share that bound, so give them the same timeout. */
PERFQOS_EXPORT int perfqos_set_timeout(struct perfqos_client* client, int timeout_ms);

/* The message of the last failure on this client ("" if none), or, with NULL, of the last
 * failed perfqos_connect in this thread. */
PERFQOS_EXPORT const char* perfqos_last_error(const struct perfqos_client* client);

/* Frees an array returned by perfqos_list or perfqos_status. NULL is a no-op. */
PERFQOS_EXPORT void perfqos_free(void* array);

/* Asks the daemon's protocol version and name (optional; any call works without it). */
PERFQOS_EXPORT int perfqos_hello(struct perfqos_client* client, int* version, char server_name[64]);

/* Every device: *devices becomes an array of *count entries (free with perfqos_free; NULL when
 * *count is 0). Fetched page by page; a device registered or removed meanwhile may be missing
 * but is never listed twice. */
PERFQOS_EXPORT int perfqos_list(struct perfqos_client* client, struct perfqos_device_info** devices,
                                size_t* count);

/* One device. -ENODEV when there is none of that name. */
PERFQOS_EXPORT int perfqos_describe(struct perfqos_client* client, const char* device,
                                    struct perfqos_device_info* out);

/* Adds a request held by this connection. *id receives its id (unique on this connection, never
 * 0); change, if not NULL, what it did. -EINVAL value out of range (the message names the
 * allowed range) or no such knob on the device (the message lists its knobs), -ENODEV no such
 * device, -EACCES not granted by the policy (the message names the grant needed), -EDQUOT over
 * quotas.max_requests_per_holder. */
PERFQOS_EXPORT int perfqos_add(struct perfqos_client* client, const char* device, const char* knob,
                               int32_t value, uint32_t* id, struct perfqos_change* change);

/* As perfqos_add; the daemon removes the request after duration_ms (0 = never). */
PERFQOS_EXPORT int perfqos_add_timed(struct perfqos_client* client, const char* device,
                                     const char* knob, int32_t value, uint32_t duration_ms,
                                     uint32_t* id, struct perfqos_change* change);

/* Since PERFQOS_0.2. As perfqos_add_timed, with why the request is held (reason, at most
 * PERFQOS_MAX_REASON bytes) and which application holds it (app_id, at most PERFQOS_MAX_APP_ID
 * bytes); either may be NULL or "". Both must be printable UTF-8 without control characters:
 * -EINVAL otherwise, naming the field and the limit (they end up in logs). They are shown by
 * perfqos_status_noted(). Needs a daemon speaking protocol version 2: the first call on a
 * connection agrees on the version with a HELLO; -EPROTONOSUPPORT from an older daemon when
 * reason or app_id is not empty. */
PERFQOS_EXPORT int perfqos_add_noted(struct perfqos_client* client, const char* device,
                                     const char* knob, int32_t value, uint32_t duration_ms,
                                     const char* reason, const char* app_id, uint32_t* id,
                                     struct perfqos_change* change);

/* Adds n requests in one pipelined exchange, with no more unanswered at a time than the socket
 * queues hold each way (net.unix.max_dgram_qlen - 2, at most 256), so that none fills. ids[i]
 * receives the id of specs[i] (0 if it failed) and, if results is not NULL, results[i] its 0 /
 * -errno. Returns 0 when every request succeeded, else the first failure. Requests that succeeded
 * are kept. */
PERFQOS_EXPORT int perfqos_add_many(struct perfqos_client* client,
                                    const struct perfqos_add_spec* specs, size_t n, uint32_t* ids,
                                    int* results);

/* Changes the value of request id. -ENOENT when this connection holds no such request. */
PERFQOS_EXPORT int perfqos_update(struct perfqos_client* client, uint32_t id, int32_t value,
                                  struct perfqos_change* change);

/* Removes request id. -ENOENT when this connection holds no such request. */
PERFQOS_EXPORT int perfqos_remove(struct perfqos_client* client, uint32_t id,
                                  struct perfqos_change* change);

/* The effective value of a knob; for a range knob ("min", "max" or "range") both ends. */
PERFQOS_EXPORT int perfqos_read(struct perfqos_client* client, const char* device, const char* knob,
                                struct perfqos_effective* out);

/* Subscribes to changes of the effective values of the given devices, or of every device when
 * count is 0. Notifications then arrive through perfqos_next_event. */
PERFQOS_EXPORT int perfqos_subscribe(struct perfqos_client* client, const char* const* devices,
                                     size_t count);

/* Ends the subscriptions to the given devices, or all of them when count is 0. */
PERFQOS_EXPORT int perfqos_unsubscribe(struct perfqos_client* client, const char* const* devices,
                                       size_t count);

/* Waits up to timeout_ms (0: do not wait; -1: without limit) for the next notification.
 * Returns 0 with *out filled, -EAGAIN (timeout 0, none queued), -ETIMEDOUT, or a connection
 * error. Replies to timed-out calls that arrive meanwhile are discarded. */
PERFQOS_EXPORT int perfqos_next_event(struct perfqos_client* client, struct perfqos_event* out,
                                      int timeout_ms);

/* Since PERFQOS_0.3. As perfqos_next_event, and *cause (if not NULL) says which request made the
 * change: the daemon sends it in protocol version 3, so call perfqos_hello() before
 * perfqos_subscribe(); otherwise cause->known is 0. */
PERFQOS_EXPORT int perfqos_next_event_noted(struct perfqos_client* client,
                                            struct perfqos_event* out,
                                            struct perfqos_event_cause* cause, int timeout_ms);
/* Every request held on one device (device not NULL/"") or on all: *holders becomes an array of
 * *count entries (free with perfqos_free). Fetched page by page; entries have no key unique
 * across holders, so a request added or removed while the pages are fetched may be missed or,
 * rarely, listed twice. */
PERFQOS_EXPORT int perfqos_status(struct perfqos_client* client, const char* device,
                                  struct perfqos_holder_info** holders, size_t* count);

/* Since PERFQOS_0.2. As perfqos_status, each request with its reason and application id (empty
 * from a daemon that speaks only protocol version 1). Free *holders with perfqos_free. */
PERFQOS_EXPORT int perfqos_status_noted(struct perfqos_client* client, const char* device,
                                        struct perfqos_holder_note_info** holders,
                                        size_t* count);

/* The per-cgroup data of one device (device not NULL/"") or of all: *entries becomes an array of
 * *count entries (free with perfqos_free), one per (device, cgroup), fetched page by page.
 * -ENODEV for an unknown device. */
PERFQOS_EXPORT int perfqos_cgroup_data(struct perfqos_client* client, const char* device,
                                       struct perfqos_cgroup_info** entries, size_t* count);

/* Since PERFQOS_0.3: every named knob of every device with its choices: *choices becomes an
 * array of *count entries (free with perfqos_free), empty when no device has one. Needs a daemon
 * speaking protocol version 3: -EPROTONOSUPPORT otherwise. */
PERFQOS_EXPORT int perfqos_list_choices(struct perfqos_client* client,
                                        struct perfqos_knob_choices** choices, size_t* count);

/* Binds a request to a cgroup v2 path (relative to the cgroup2 mount, e.g. "/batch.slice"): it
 * is in force while the cgroup is populated, independent of this connection. *binding_id
 * receives its id. */
PERFQOS_EXPORT int perfqos_bind(struct perfqos_client* client, const char* cgroup,
                                const char* device, const char* knob, int32_t value,
                                uint32_t* binding_id, struct perfqos_change* change);

/* Since PERFQOS_0.4. As perfqos_bind, with why the binding is held (reason) and by which
 * application (app_id), checked as perfqos_add_noted's (either may be NULL or ""). The notes
 * are shown by perfqos_bindings() and, while the cgroup is populated, by perfqos_status_noted()
 * for its request. Needs a daemon speaking protocol version 2 when reason or app_id is not
 * empty: -EPROTONOSUPPORT from an older one (the first such call on a connection agrees on the
 * version with a HELLO). Other errors as perfqos_bind's. */
PERFQOS_EXPORT int perfqos_bind_noted(struct perfqos_client* client, const char* cgroup,
                                      const char* device, const char* knob, int32_t value,
                                      const char* reason, const char* app_id, uint32_t* binding_id,
                                      struct perfqos_change* change);

/* Since PERFQOS_0.3. As perfqos_bind, but transient, and with why it is held (reason) and by
 * which application (app_id), checked as perfqos_add_noted's (either may be NULL or ""): the
 * binding is removed for good, as by perfqos_unbind, when the cgroup empties after having been
 * populated (at the call or later), or is removed. Made for cgroups that live once, such as a
 * container's: its requests end with it, with no unbind and nothing left behind when the caller
 * dies. Needs a daemon speaking protocol version 3: -EPROTONOSUPPORT from an older one (the
 * first call on a connection agrees on the version with a HELLO). Other errors as
 * perfqos_bind's. */
PERFQOS_EXPORT int perfqos_bind_transient(struct perfqos_client* client, const char* cgroup,
                                          const char* device, const char* knob, int32_t value,
                                          const char* reason, const char* app_id,
                                          uint32_t* binding_id, struct perfqos_change* change);

/* Since PERFQOS_0.4. A request scoped to the CPUs of a cgroup (`perfqosctl hold --cpus-of`):
 * the daemon places value on knob (a per-CPU knob: "resume_latency" or "flags") of each device
 * cpuN, N in the cgroup's cpuset.cpus.effective (a cgroup without the file runs on its nearest
 * ancestor's CPUs; with no cpuset at all, every online CPU), all or nothing, and follows the set
 * as it changes: CPUs that join get the request, CPUs that leave lose it. cpus_of is a cgroup v2
 * path relative to the cgroup2 mount ("/machine.slice/vm1.scope"). *id names the whole set for
 * perfqos_update and perfqos_remove; perfqos_status lists each CPU's request on its own. reason
 * and app_id as perfqos_add_noted's. Errors: -EINVAL (not a per-CPU knob, a bad path, a cgroup
 * with no CPUs), -ENOENT (no such cgroup), -EOPNOTSUPP (no cgroup2), else those of perfqos_add
 * for the first CPU that fails (the message names it). Needs protocol version 4:
 * -EPROTONOSUPPORT from an older daemon. */
PERFQOS_EXPORT int perfqos_add_cpus_of(struct perfqos_client* client, const char* cpus_of,
                                       const char* knob, int32_t value, const char* reason,
                                       const char* app_id, uint32_t* id,
                                       struct perfqos_change* change);

/* Flags of perfqos_bind_cpus_of. */
#define PERFQOS_BIND_TRANSIENT 0x1u /* as perfqos_bind_transient */
#define PERFQOS_BIND_CONTAINER 0x2u /* as perfqos_bind_container (implies TRANSIENT) */

/* Since PERFQOS_0.4. As perfqos_bind_noted (perfqos_bind_transient with PERFQOS_BIND_TRANSIENT,
 * perfqos_bind_container with PERFQOS_BIND_CONTAINER), for a request scoped to the CPUs of the
 * cgroup cpus_of (as perfqos_add_cpus_of's): while cgroup is populated, the request is on each
 * CPU cpus_of has, following them. The policy judges the CPUs it has now, and each CPU that
 * joins later. Unknown flags: -EINVAL. Needs protocol version 4: -EPROTONOSUPPORT from an older
 * daemon. */
PERFQOS_EXPORT int perfqos_bind_cpus_of(struct perfqos_client* client, const char* cgroup,
                                        const char* cpus_of, const char* knob, int32_t value,
                                        const char* reason, const char* app_id, unsigned flags,
                                        uint32_t* binding_id, struct perfqos_change* change);

/* Since PERFQOS_0.4. As perfqos_bind_transient, for a container runtime's hook binding a
 * container's requests (perfqos-oci-hook): perfqosd judges the request by its config's
 * [[container]] policy (perfqosd.toml(5)), not by the caller's grants; the caller must be root,
 * and root's "anything" does not apply. -EACCES when the policy does not allow it (the message
 * names device.knob=value and the [[container]] lines that would allow it), or for a caller that
 * is not root. Needs a daemon speaking protocol version 4: -EPROTONOSUPPORT from an older one.
 * Other errors as perfqos_bind_transient's. */
PERFQOS_EXPORT int perfqos_bind_container(struct perfqos_client* client, const char* cgroup,
                                          const char* device, const char* knob, int32_t value,
                                          const char* reason, const char* app_id,
                                          uint32_t* binding_id, struct perfqos_change* change);

/* Since PERFQOS_0.4. The requests of the profile `name` (the built-in power-saver, balanced and
 * performance, or the config's [[profile]]s: perfqosd.toml(5)) on the devices perfqosd serves
 * now: *requests becomes an array of *count entries (free with perfqos_free; NULL and 0 for a
 * profile with none), in the profile's order; *absent (if not NULL) receives how many of its
 * requests were skipped because their device is not there. Places nothing: the caller places
 * them (perfqos-oci-hook binds them with perfqos_bind_container). -ENOENT when there is no such
 * profile (the message names those there are); -EINVAL for a request a present device does not
 * take; -EPROTONOSUPPORT from a daemon older than protocol version 4. On error *requests is
 * NULL and *count 0. */
PERFQOS_EXPORT int perfqos_profile(struct perfqos_client* client, const char* name,
                                   struct perfqos_profile_request** requests, size_t* count,
                                   size_t* absent);

/* Removes a binding. -ENOENT when there is none with that id. */
PERFQOS_EXPORT int perfqos_unbind(struct perfqos_client* client, uint32_t binding_id,
                                  struct perfqos_change* change);

/* Since PERFQOS_0.3. Explains a knob (knob as for perfqos_add; a range may also be named "range"
 * or NULL/"" without a value, for both ends) for the calling process: its effective value, the
 * requests that set it, the bounds on the caller's requests (validity range, grants, cgroup
 * caps and floors) and, when value is not NULL, what perfqos_add of *value would do, judged by
 * the daemon without doing it. A refusal of that add is not a failure of this call: it is in
 * verdict_errno and verdict. *out becomes one struct (free with perfqos_free). -ENODEV, -EINVAL
 * (no such knob), -EPROTONOSUPPORT from a daemon older than protocol version 3. */
PERFQOS_EXPORT int perfqos_explain(struct perfqos_client* client, const char* device,
                                   const char* knob, const int32_t* value,
                                   struct perfqos_explain_info** out);
/* Since PERFQOS_0.3. Every cgroup binding, active or waiting for its cgroup to fill: *bindings
 * becomes an array of *count entries in id order (free with perfqos_free), fetched page by
 * page. -EPROTONOSUPPORT from a daemon older than protocol version 3. */
PERFQOS_EXPORT int perfqos_bindings(struct perfqos_client* client,
                                    struct perfqos_binding_info** bindings, size_t* count);
/* Asks the daemon to rediscover devices; added/removed (each may be NULL) receive the counts. */
PERFQOS_EXPORT int perfqos_rescan(struct perfqos_client* client, uint32_t* added,
                                  uint32_t* removed);

#ifdef __cplusplus
}
#endif

#endif /* PERFQOS_CLIENT_H */
