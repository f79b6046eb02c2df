# bash completion for perfqosctl(1): subcommands, options, and device and knob names asked of
# the running perfqosd (`perfqosctl list --json`; nothing is offered when it is not running).

# Prints "DEVICE KNOB" lines, one per knob, from perfqosctl list --json. Device objects are the
# ones with "kind" after their name; knob objects have "type" there.
_perfqosctl_knobs() {
  local socket=()
  [ -n "$1" ] && socket=(--socket "$1")
  perfqosctl "${socket[@]}" --timeout 1000 list --json 2>/dev/null |
    grep -oE '"name":"[^"]*","(kind|type)"' |
    sed -E 's/^"name":"([^"]*)","(kind|type)"$/\2 \1/' |
    awk '$1 == "kind" { device = $2; next } { print device, $2 }'
}

_perfqosctl() {
  local cur prev words cword
  _init_completion -n = || return
  local subcommands="list get hold run monitor status bind unbind rescan"
  local i sub="" socket=""
  for ((i = 1; i < cword; i++)); do
    case "${words[i]}" in
      --socket) socket="${words[i + 1]}"; ((i++)) ;;
      --socket=*) socket="${words[i]#--socket=}" ;;
      --timeout) ((i++)) ;;
      -*) ;;
      *) if [ -z "$sub" ]; then sub="${words[i]}"; fi ;;
    esac
  done
  case "$prev" in
    --socket) _filedir; return ;;
    --timeout | --for) return ;;
    --profile) COMPREPLY=($(compgen -W "power-saver balanced performance" -- "$cur")); return ;;
  esac
  if [ -z "$sub" ]; then
    if [[ "$cur" == -* ]]; then
      COMPREPLY=($(compgen -W "--json --socket --timeout --help --version" -- "$cur"))
    else
      COMPREPLY=($(compgen -W "$subcommands" -- "$cur"))
    fi
    return
  fi
  # The global options go after the subcommand too.
  local globals="--json --socket --timeout --help"
  local devices specs
  case "$sub" in
    list) COMPREPLY=($(compgen -W "$globals" -- "$cur")) ;;
    get | monitor | status)
      if [[ "$cur" == -* ]]; then
        COMPREPLY=($(compgen -W "$globals" -- "$cur"))
      else
        devices=$(_perfqosctl_knobs "$socket" | awk '{ print $1 }' | sort -u)
        COMPREPLY=($(compgen -W "$devices" -- "$cur"))
      fi
      ;;
    hold | run | bind)
      if [[ "$cur" == -* ]]; then
        [ "$sub" = hold ] && COMPREPLY=($(compgen -W "--for --profile --cpus-of -q --quiet $globals" -- "$cur"))
        [ "$sub" = run ] && COMPREPLY=($(compgen -W "--profile --cpus-of -q --quiet $globals" -- "$cur"))
        [ "$sub" = bind ] && COMPREPLY=($(compgen -W "--transient --cpus-of $globals" -- "$cur"))
        return
      fi
      # After `run ... --`, the command.
      for ((i = 1; i < cword; i++)); do
        if [ "${words[i]}" = "--" ]; then
          _command_offset $((i + 1))
          return
        fi
      done
      # SPEC: DEVICE= for a device's only knob, DEVICE.KNOB= always (range knobs: min, max).
      specs=$(_perfqosctl_knobs "$socket" | awk '
        { n[$1]++; k[$1] = $2; if ($2 == "range") { print $1 ".min="; print $1 ".max=" }
          else print $1 "." $2 "=" }
        END { for (d in n) if (n[d] == 1 && k[d] != "range") print d "=" }')
      compopt -o nospace
      COMPREPLY=($(compgen -W "$specs" -- "$cur"))
      ;;
    unbind | rescan) COMPREPLY=($(compgen -W "$globals" -- "$cur")) ;;
  esac
}
complete -F _perfqosctl perfqosctl
