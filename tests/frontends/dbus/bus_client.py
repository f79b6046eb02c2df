#!/usr/bin/python3
"""A small GLib client of perfqos' native D-Bus API (org.perfqos.Broker1), for the tests.

Every subcommand talks to the bus of $DBUS_SYSTEM_BUS_ADDRESS and prints what it saw, one fact
per line, for the C++ test to check:
  hold [--sleep] [--reason R] [--app A] [--show FILE] SPEC...  "cookie N" (then sleeps, or
                          releases: "released"); with --show, "holds N" and "FILE: TEXT" for each
                          FILE while held and "after FILE: TEXT" once released
  cross-release SPEC      a second connection tries the first one's cookie: "other: ERROR"
  many NAMES PER          NAMES connections hold PER requests each: "holds N", then "after N"
  signal SPEC             "signal DEVICE KNOB MIN MAX", the EffectiveChanged a hold caused
  explain DEVICE KNOB VALUE   Explain's answer, a fact a line: "knob K unit U effective MIN MAX
                          valid LO HI", "setters N", "setter END VALUE KIND pid P uid U comm C
                          reason R app A remaining MS" each, "unrestricted B", "grant DEVICE KNOB
                          MIN MAX ORIGIN" each, "limit CGROUP floor F cap C ORIGIN" (if any),
                          then "verdict none", "verdict admitted change B would_be MIN MAX" or
                          "verdict refused ERROR: MESSAGE"
  raw METHOD SIGNATURE JSON   any call with any arguments: "ok REPLY" or "error NAME: MESSAGE"
  introspect XML          "same" when the daemon's Introspect of org.perfqos.Broker1 has the
                          members, argument types and access of the shipped XML; else each
                          difference
Errors print "error NAME: MESSAGE" and exit 1.
"""
import json
import os
import sys
import time
import xml.etree.ElementTree as ET

from gi.repository import Gio, GLib

NAME = 'org.perfqos.Broker1'
PATH = '/org/perfqos/Broker1'
IFACE = 'org.perfqos.Broker1'


def connect():
    flags = (Gio.DBusConnectionFlags.AUTHENTICATION_CLIENT |
             Gio.DBusConnectionFlags.MESSAGE_BUS_CONNECTION)
    return Gio.DBusConnection.new_for_address_sync(
        os.environ['DBUS_SYSTEM_BUS_ADDRESS'], flags, None, None)


def call(conn, method, signature, args, reply=None):
    params = GLib.Variant(signature, tuple(args)) if signature else None
    result = conn.call_sync(NAME, PATH, IFACE, method, params,
                            GLib.VariantType(reply) if reply else None,
                            Gio.DBusCallFlags.NONE, 10000, None)
    return result.unpack() if result is not None else ()


def error_text(e):
    name = Gio.DBusError.get_remote_error(e) or 'unknown'
    Gio.DBusError.strip_remote_error(e)
    return f'{name}: {e.message}'


def read_text(path):
    with open(path) as f:
        return f.read().strip()


def holds(conn):
    v = conn.call_sync(NAME, PATH, 'org.freedesktop.DBus.Properties', 'Get',
                       GLib.Variant('(ss)', (IFACE, 'Holds')), GLib.VariantType('(v)'),
                       Gio.DBusCallFlags.NONE, 10000, None)
    return v.unpack()[0]


def members(root):
    """The members of org.perfqos.Broker1 in an introspection document, as comparable tuples."""
    out = set()
    for iface in root.iter('interface'):
        if iface.get('name') != IFACE:
            continue
        for m in iface:
            if m.tag == 'property':
                out.add(('property', m.get('name'), m.get('type'), m.get('access')))
            elif m.tag in ('method', 'signal'):
                args = tuple((a.get('type'), a.get('direction', 'out' if m.tag == 'signal' else 'in'))
                             for a in m.iter('arg'))
                out.add((m.tag, m.get('name'), args))
    return out


def main(argv):
    cmd = argv[1]
    conn = connect()
    if cmd == 'hold':
        sleep, reason, app, specs, show = False, 'test', 'bus_client', [], []
        rest = argv[2:]
        while rest:
            a = rest.pop(0)
            if a == '--sleep':
                sleep = True
            elif a == '--reason':
                reason = rest.pop(0)
            elif a == '--app':
                app = rest.pop(0)
            elif a == '--show':
                show.append(rest.pop(0))
            else:
                specs.append(a)
        (cookie,) = call(conn, 'Hold', '(asss)', (specs, reason, app), '(u)')
        print(f'cookie {cookie}', flush=True)
        if sleep:
            while True:
                time.sleep(3600)
        if show:
            print(f'holds {len(holds(conn))}')
        for f in show:
            print(f'{f}: {read_text(f)}')
        call(conn, 'Release', '(u)', (cookie,))
        print('released')
        for f in show:
            print(f'after {f}: {read_text(f)}')
    elif cmd == 'hold-cpus-of':
        cgroup, specs = argv[2], argv[3:]
        (cookie,) = call(conn, 'HoldCpusOf', '(sasss)', (cgroup, specs, 'pinned', 'rt'), '(u)')
        print(f'cookie {cookie}', flush=True)
        while True:
            time.sleep(3600)
    elif cmd == 'cross-release':
        (cookie,) = call(conn, 'Hold', '(asss)', ([argv[2]], 'mine', 'a'), '(u)')
        other = connect()
        try:
            call(other, 'Release', '(u)', (cookie,))
            print('other: released it')
        except GLib.Error as e:
            print('other: ' + error_text(e))
        print('holds ' + str(len(holds(conn))))
        call(conn, 'Release', '(u)', (cookie,))
        print('owner: released')
    elif cmd == 'many':
        names, per = int(argv[2]), int(argv[3])
        conns = [connect() for _ in range(names)]
        for i, c in enumerate(conns):
            for j in range(per):
                call(c, 'Hold', '(asss)', ([f'cpu_dma_latency={100 + i * per + j}'], 'many', 'a'),
                     '(u)')
        print(f'holds {len(holds(conn))}', flush=True)
        for c in conns:
            c.close_sync(None)
        left = -1
        for _ in range(100):
            left = len(holds(conn))
            if left == 0:
                break
            time.sleep(0.05)
        print(f'after {left}')
    elif cmd == 'signal':
        seen = []
        loop = GLib.MainLoop()

        def on_signal(_c, _sender, _path, _iface, _member, params):
            seen.append(params.unpack())
            loop.quit()
        conn.signal_subscribe(NAME, IFACE, 'EffectiveChanged', PATH, None,
                              Gio.DBusSignalFlags.NONE, on_signal)
        # The match is in place once a round trip through the bus is done.
        call(conn, 'ListDevices', None, (), '(a(ssa(ssiiiias)))')
        other = connect()
        call(other, 'Hold', '(asss)', ([argv[2]], 'signal', 'a'), '(u)')
        GLib.timeout_add(5000, loop.quit)
        loop.run()
        for s in seen[:1]:
            print('signal ' + ' '.join(str(x) for x in s))
    elif cmd == 'explain':
        (knob, unit, eff_min, eff_max, valid_min, valid_max, total, setters, unrestricted,
         grants, limit, error, message, would_change, be_min, be_max) = call(
            conn, 'Explain', '(sss)', argv[2:5], '(ssiiiiua(sisuussssu)ba(ssiis)(sbibis)ssbii)')
        print(f'knob {knob} unit {unit} effective {eff_min} {eff_max} '
              f'valid {valid_min} {valid_max}')
        print(f'setters {total}')
        for end, value, kind, pid, uid, comm, _cgroup, reason, app, remaining in setters:
            print(f'setter {end or "-"} {value} {kind} pid {pid} uid {uid} comm {comm} '
                  f'reason {reason} app {app} remaining {remaining}')
        print(f'unrestricted {unrestricted}')
        for device, gknob, gmin, gmax, origin in grants:
            print(f'grant {device} {gknob} {gmin} {gmax} {origin}')
        cgroup, has_floor, floor, has_cap, cap, origin = limit
        if has_floor or has_cap:
            print(f'limit {cgroup} floor {floor if has_floor else "-"} '
                  f'cap {cap if has_cap else "-"} {origin}')
        if not argv[4]:
            print('verdict none')
        elif error:
            print(f'verdict refused {error}: {message}')
        else:
            print(f'verdict admitted change {would_change} would_be {be_min} {be_max}')
    elif cmd == 'raw':
        method, signature, args = argv[2], argv[3], json.loads(argv[4])
        params = GLib.Variant(signature, tuple(args)) if signature else None
        r = conn.call_sync(NAME, PATH, IFACE, method, params, None, Gio.DBusCallFlags.NONE,
                           10000, None)
        print('ok ' + (str(r.unpack()) if r is not None else ''))
    elif cmd == 'introspect':
        (live,) = conn.call_sync(NAME, PATH, 'org.freedesktop.DBus.Introspectable', 'Introspect',
                                 None, GLib.VariantType('(s)'), Gio.DBusCallFlags.NONE, 10000,
                                 None).unpack()
        shipped, served = members(ET.parse(argv[2]).getroot()), members(ET.fromstring(live))
        diff = sorted(shipped ^ served)
        print('same' if not diff else '\n'.join('differs: ' + str(d) for d in diff))
    else:
        print('usage: bus_client.py hold|cross-release|many|signal|explain|raw|introspect ...',
              file=sys.stderr)
        return 64
    return 0


if __name__ == '__main__':
    try:
        sys.exit(main(sys.argv))
    except GLib.Error as e:
        print('error ' + error_text(e), flush=True)
        sys.exit(1)
