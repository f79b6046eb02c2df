#include "tools/value_input.h"

#include <cctype>
#include <cerrno>
#include <climits>
#include <cstring>
#include <iterator>

#include "model/value_text.h"

namespace perfqos::tools {

namespace {

// 128 bits hold every product below: at most 18 significant digits times a scale of at most 1e9,
// divided by at most 1e18 * 1000.
__extension__ using u128 = unsigned __int128;

struct Suffix {
  const char* text;
  std::int64_t num;  // value in the knob's unit = written value * num / den
  std::int64_t den;
};

struct UnitSuffixes {
  const char* unit;
  bool any_case;  // "mhz" for MHz: frequencies have no milli-hertz to confuse it with
  Suffix suffixes[5];
};

// The suffixes of each knob unit; the knob's own unit first. {nullptr} ends a list.
constexpr UnitSuffixes kUnits[] = {
    {"us",
     false,
     {{"us", 1, 1}, {"\xc2\xb5s", 1, 1}, {"ms", 1000, 1}, {"s", 1000000, 1}, {"ns", 1, 1000}}},
    {"kHz", true, {{"kHz", 1, 1}, {"MHz", 1000, 1}, {"GHz", 1000000, 1}, {"Hz", 1, 1000}}},
    {"Hz", true, {{"Hz", 1, 1}, {"kHz", 1000, 1}, {"MHz", 1000000, 1}, {"GHz", 1000000000, 1}}},
    {"uW", false, {{"uW", 1, 1}, {"\xc2\xb5W", 1, 1}, {"mW", 1000, 1}, {"W", 1000000, 1}}},
    {"mW", false, {{"mW", 1, 1}, {"W", 1000, 1}, {"uW", 1, 1000}, {"\xc2\xb5W", 1, 1000}}},
    {"normal", false, {{"%", 1024, 100}}},
    {"kbit/s", false, {{"kbit/s", 1, 1}, {"Mbit/s", 1000, 1}, {"Gbit/s", 1000000, 1}}},
    {"Mbit/s", false, {{"Mbit/s", 1, 1}, {"Gbit/s", 1000, 1}}},
    {"kbps", false, {{"kbps", 1, 1}, {"Mbps", 1000, 1}, {"Gbps", 1000000, 1}}},
};

const UnitSuffixes* suffixes_of(std::string_view unit) {
  for (const UnitSuffixes& u : kUnits) {
    if (unit == u.unit) return &u;
  }
  return nullptr;
}

bool same_suffix(std::string_view written, const char* known, bool any_case) {
  if (!any_case) return written == known;
  if (written.size() != std::strlen(known)) return false;
  for (std::size_t i = 0; i < written.size(); ++i) {
    if (std::tolower(static_cast<unsigned char>(written[i])) !=
        std::tolower(static_cast<unsigned char>(known[i]))) {
      return false;
    }
  }
  return true;
}

bool is_latency_type(KnobId id) {
  return id == KnobId::kResumeLatency || id == KnobId::kLatencyTolerance;
}

std::string to_text(u128 v) {
  if (v == 0) return "0";
  std::string s;
  for (; v > 0; v /= 10) s.insert(s.begin(), static_cast<char>('0' + static_cast<int>(v % 10)));
  return s;
}

// "'TEXT'" built piece by piece (GCC 12 -Wrestrict false positive, see request_spec.cc).
std::string quoted(std::string_view text) {
  std::string q = "'";
  q += text;
  q += '\'';
  return q;
}

// A decimal number as written: mantissa / 10^scale, trailing fraction zeros dropped.
struct Decimal {
  bool negative = false;
  u128 mantissa = 0;
  int scale = 0;          // digits after the point that matter
  bool too_long = false;  // more than 18 significant digits
};

// Reads [-]DIGITS[.DIGITS] from the front of `text`; returns the characters read (0: none).
std::size_t read_decimal(std::string_view text, Decimal* out) {
  std::size_t i = 0;
  Decimal d;
  if (i < text.size() && text[i] == '-') {
    d.negative = true;
    ++i;
  }
  int digits = 0, significant = 0, pending_zeros = 0;
  bool point = false;
  for (; i < text.size(); ++i) {
    const char c = text[i];
    if (c == '.' && !point) {
      point = true;
      continue;
    }
    if (c < '0' || c > '9') break;
    ++digits;
    if (point && c == '0') {  // a fraction zero counts only if a non-zero digit follows
      ++pending_zeros;
      continue;
    }
    for (; pending_zeros > 0; --pending_zeros) {
      d.mantissa *= 10;
      ++d.scale;
      if (d.mantissa != 0) ++significant;
    }
    d.mantissa = d.mantissa * 10 + static_cast<unsigned>(c - '0');
    if (point) ++d.scale;
    if (d.mantissa != 0) ++significant;
    if (significant > 18) {
      d.too_long = true;
      d.mantissa = 0;  // stays small; only too_long matters from here
      significant = 0;
    }
  }
  if (digits == 0) return 0;
  if (text[i - 1] == '.') return 0;  // "5." is no number
  *out = d;
  return i;
}

u128 pow10(int n) {
  u128 v = 1;
  while (n-- > 0) v *= 10;
  return v;
}

std::string allowed_text(const KnobValues& k) {
  return std::to_string(k.min_request) + ".." + std::to_string(k.max_request) +
         (k.unit.empty() || k.unit == "flags" ? "" : " " + k.unit) + " or -1";
}

Status out_of_range(std::string_view what, std::string_view text, const std::string& converted,
                    const KnobValues& k) {
  return Status::Error(EINVAL, std::string(what) + ": value " + std::string(text) + converted +
                                   " out of range: allowed " + allowed_text(k));
}

}  // namespace

KnobValues KnobValues::of(const perfqos_knob_info& knob, std::vector<std::string> choices) {
  KnobValues v;
  v.choices = std::move(choices);
  RangeEnd end;
  if (std::string_view(knob.name) == "range" || !parse_knob_name(knob.name, &v.id, &end)) {
    v.id = KnobId::kRange;
  }
  v.unit = knob.unit;
  v.no_constraint = knob.no_constraint_value;
  v.min_request = knob.list_type == PERFQOS_LIST_RANGE ? knob.limit_min : knob.min_request;
  v.max_request = knob.list_type == PERFQOS_LIST_RANGE ? knob.limit_max : knob.max_request;
  return v;
}

std::string accepted_units(const KnobValues& knob) {
  const UnitSuffixes* u = suffixes_of(knob.unit);
  std::string text;
  if (u == nullptr) return text;
  for (const Suffix& s : u->suffixes) {
    if (s.text == nullptr) break;
    if (std::strncmp(s.text, "\xc2\xb5", 2) == 0) continue;  // µs is us, said once
    text += (text.empty() ? "" : ", ") + std::string(s.text);
  }
  return text;
}

Status parse_knob_value(const KnobValues& knob, std::string_view text, std::string_view what,
                        std::int32_t* out) {
  if (is_named_knob(knob.id)) {
    if (text == "none") text = "default";
    if (knob.choices.empty()) {
      return Status::Error(EINVAL, std::string(what) +
                                       ": this perfqosd does not say which words the knob takes "
                                       "(it needs protocol version 3)");
    }
    return parse_choice(knob.choices, text, what, out);
  }
  if (text == "default" || (text == "none" && knob.id != KnobId::kFlags) ||
      (text == "any" && !is_latency_type(knob.id))) {
    *out = PERFQOS_DEFAULT_VALUE;
    return Status::Ok();
  }
  if (knob.id == KnobId::kFlags || (is_latency_type(knob.id) && text == "any") ||
      (knob.id == KnobId::kLatencyTolerance && text == "auto")) {
    return parse_request_value(knob.id, text, what, out);  // flag names, any, auto
  }
  Decimal d;
  const std::size_t used = read_decimal(text, &d);
  if (used == 0) {
    const std::string units = accepted_units(knob);
    return Status::Error(
        EINVAL,
        std::string(what) + ": cannot read " + quoted(text) + ": expected a number" +
            (units.empty() ? "" : " (with " + units + " or no unit for " + knob.unit + ")") +
            ", or none/default" + (is_latency_type(knob.id) ? " or any" : ""));
  }
  std::string_view suffix = text.substr(used);
  while (!suffix.empty() && suffix.front() == ' ') suffix.remove_prefix(1);
  Suffix scale{"", 1, 1};
  if (!suffix.empty()) {
    const UnitSuffixes* u = suffixes_of(knob.unit);
    bool found = false;
    for (std::size_t i = 0; u != nullptr && i < std::size(u->suffixes); ++i) {
      const Suffix& s = u->suffixes[i];
      if (s.text == nullptr) break;
      if (same_suffix(suffix, s.text, u->any_case)) {
        scale = s;
        found = true;
        break;
      }
    }
    if (!found) {
      const std::string units = accepted_units(knob);
      return Status::Error(EINVAL, std::string(what) + ": unknown unit " + quoted(suffix) +
                                       " for a " + knob.unit + " knob: " +
                                       (units.empty() ? "write a plain number of " + knob.unit
                                                      : "use " + units + " or none"));
    }
  }
  if (d.too_long) return out_of_range(what, text, "", knob);
  const u128 numerator = d.mantissa * static_cast<u128>(scale.num);
  const u128 denominator = pow10(d.scale) * static_cast<u128>(scale.den);
  const u128 whole = numerator / denominator;
  if (numerator % denominator != 0) {
    const std::string lo = (d.negative ? "-" : "") + to_text(d.negative ? whole + 1 : whole);
    const std::string hi = (d.negative ? "-" : "") + to_text(d.negative ? whole : whole + 1);
    return Status::Error(EINVAL, std::string(what) + ": " + quoted(text) +
                                     " is not a whole number of " + knob.unit + " (between " + lo +
                                     " and " + hi + ")");
  }
  const std::string in_unit = suffix.empty() ? ""
                                             : " (" + std::string(d.negative ? "-" : "") +
                                                   to_text(whole) + " " + knob.unit + ")";
  if (d.negative) {
    if (whole == 1 && suffix.empty()) {
      *out = PERFQOS_DEFAULT_VALUE;
      return Status::Ok();
    }
    if (whole != 0) return out_of_range(what, text, in_unit, knob);
  }
  if (whole < static_cast<u128>(std::max(knob.min_request, 0)) ||
      whole > static_cast<u128>(std::max(knob.max_request, 0))) {
    return out_of_range(what, text, in_unit, knob);
  }
  *out = static_cast<std::int32_t>(whole);
  return Status::Ok();
}

std::string show_value(const KnobValues& knob, std::int32_t value) {
  if (is_named_knob(knob.id)) {
    return value == -1 ? "none" : format_choice(knob.choices, value);
  }
  switch (knob.id) {
    case KnobId::kLatencyTolerance:
      if (value == -1) return "auto";
      if (value == INT32_MAX) return "any";
      return std::to_string(value);
    case KnobId::kFlags:
      if (value == 0 || value == -1) return "none";
      if (value == kFlagNoPowerOff) return "no_power_off";
      return std::to_string(value);
    case KnobId::kRange:
      return value == -1 ? "none" : std::to_string(value);
    default:
      return value == -1 || value == knob.no_constraint ? "none" : std::to_string(value);
  }
}

std::string show_value_with_unit(const KnobValues& knob, std::int32_t value) {
  std::string text = show_value(knob, value);
  if (text == std::to_string(value) && !knob.unit.empty() && knob.unit != "flags" &&
      !is_named_knob(knob.id)) {
    text += ' ';
    text += knob.unit;
  }
  return text;
}

std::string show_effective(const KnobValues& knob, const perfqos_effective& e, bool with_unit) {
  if (!e.is_range)
    return with_unit ? show_value_with_unit(knob, e.value) : show_value(knob, e.value);
  if (is_named_knob(knob.id)) {
    return e.min == e.max ? show_value(knob, e.min)
                          : show_value(knob, e.min) + ".." + show_value(knob, e.max);
  }
  std::string text = std::to_string(e.min) + ".." + std::to_string(e.max);
  if (with_unit && !knob.unit.empty()) text += " " + knob.unit;
  return text;
}

Status parse_duration(std::string_view text, std::chrono::milliseconds* out) {
  const auto bad = [&] {
    return Status::Error(EINVAL, "duration " + quoted(text) +
                                     ": expected a positive duration such as 250ms, 1.5s, 1m30s, "
                                     "2h (or a number of seconds), at most 24 days");
  };
  constexpr u128 kMaxMs = 24ull * 24 * 3600 * 1000;  // fits the protocol's u32
  u128 total = 0;
  std::string_view rest = text;
  bool first = true;
  while (!rest.empty()) {
    Decimal d;
    const std::size_t used = read_decimal(rest, &d);
    if (used == 0 || d.negative || d.too_long) return bad();
    rest.remove_prefix(used);
    std::size_t letters = 0;
    while (letters < rest.size() && std::isalpha(static_cast<unsigned char>(rest[letters])))
      ++letters;
    const std::string_view unit = rest.substr(0, letters);
    rest.remove_prefix(letters);
    u128 unit_ms = 0;
    if (unit == "ms") {
      unit_ms = 1;
    } else if (unit == "s" || (unit.empty() && first && rest.empty())) {
      unit_ms = 1000;
    } else if (unit == "m" || unit == "min") {
      unit_ms = 60 * 1000;
    } else if (unit == "h") {
      unit_ms = 3600 * 1000;
    } else {
      return bad();
    }
    const u128 numerator = d.mantissa * unit_ms;
    const u128 denominator = pow10(d.scale);
    if (numerator % denominator != 0) {
      return Status::Error(EINVAL,
                           "duration " + quoted(text) + ": not a whole number of milliseconds");
    }
    total += numerator / denominator;
    if (total > kMaxMs) return bad();
    first = false;
  }
  if (total == 0) return bad();
  *out = std::chrono::milliseconds(static_cast<std::int64_t>(total));
  return Status::Ok();
}

}  // namespace perfqos::tools
