#include "collector/query/promql/instant_functions.h"

#include <algorithm>
#include <array>
#include <cmath>
#include <ctime>
#include <limits>
#include <utility>

#include "collector/query/promql/eval_helpers.h"

namespace strata::collector::promql {
namespace {

constexpr double kNaN = std::numeric_limits<double>::quiet_NaN();

// Go's math.Max/math.Min: NaN wins, and +0 > -0.
double GoMax(double a, double b) {
  if (std::isinf(a) && a > 0) return a;
  if (std::isinf(b) && b > 0) return b;
  if (std::isnan(a) || std::isnan(b)) return kNaN;
  if (a == 0 && b == 0) return std::signbit(a) ? b : a;
  return a > b ? a : b;
}
double GoMin(double a, double b) {
  if (std::isinf(a) && a < 0) return a;
  if (std::isinf(b) && b < 0) return b;
  if (std::isnan(a) || std::isnan(b)) return kNaN;
  if (a == 0 && b == 0) return std::signbit(a) ? a : b;
  return a < b ? a : b;
}

int64_t DaysFromCivil(int64_t y, unsigned m, unsigned d) {
  y -= m <= 2;
  const int64_t era = (y >= 0 ? y : y - 399) / 400;
  const unsigned yoe = static_cast<unsigned>(y - era * 400);
  const unsigned doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
  const unsigned doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
  return era * 146097 + static_cast<int64_t>(doe) - 719468;
}

struct CivilTime {
  int64_t year;
  unsigned month, day, hour, minute, weekday, yday;
};

CivilTime ToCivil(int64_t secs) {
  int64_t days = secs / 86400;
  int64_t rem = secs % 86400;
  if (rem < 0) {
    rem += 86400;
    --days;
  }
  CivilTime c{};
  c.hour = static_cast<unsigned>(rem / 3600);
  c.minute = static_cast<unsigned>(rem % 3600 / 60);
  c.weekday = static_cast<unsigned>(((days % 7) + 11) % 7);  // 1970-01-01 was a Thursday (4)
  const int64_t z = days + 719468;
  const int64_t era = (z >= 0 ? z : z - 146096) / 146097;
  const unsigned doe = static_cast<unsigned>(z - era * 146097);
  const unsigned yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
  const int64_t y = static_cast<int64_t>(yoe) + era * 400;
  const unsigned doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
  const unsigned mp = (5 * doy + 2) / 153;
  c.day = doy - (153 * mp + 2) / 5 + 1;
  c.month = mp < 10 ? mp + 3 : mp - 9;
  c.year = y + (c.month <= 2);
  c.yday = static_cast<unsigned>(days - DaysFromCivil(c.year, 1, 1)) + 1;
  return c;
}

bool IsLeap(int64_t y) { return (y % 4 == 0 && y % 100 != 0) || y % 400 == 0; }

double DateFunction(std::string_view name, double v) {
  if (std::isnan(v) || std::isinf(v)) return kNaN;
  const CivilTime c = ToCivil(static_cast<int64_t>(v));
  if (name == "day_of_week") return c.weekday;
  if (name == "day_of_month") return c.day;
  if (name == "day_of_year") return c.yday;
  if (name == "hour") return c.hour;
  if (name == "minute") return c.minute;
  if (name == "month") return c.month;
  if (name == "year") return static_cast<double>(c.year);
  // days_in_month
  static constexpr std::array<unsigned, 12> kDays = {31, 28, 31, 30, 31, 30,
                                                     31, 31, 30, 31, 30, 31};
  return c.month == 2 && IsLeap(c.year) ? 29 : kDays[c.month - 1];
}

using MathFn = double (*)(double);

double Sgn(double v) {
  if (v < 0) return -1;
  if (v > 0) return 1;
  return v;  // 0, -0 and NaN
}
double Deg(double v) { return v * 180 / M_PI; }
double Rad(double v) { return v * M_PI / 180; }

MathFn FindMath(std::string_view name) {
  static constexpr std::pair<std::string_view, MathFn> kTable[] = {
      {"abs", [](double v) { return std::fabs(v); }},
      {"ceil", [](double v) { return std::ceil(v); }},
      {"floor", [](double v) { return std::floor(v); }},
      {"exp", [](double v) { return std::exp(v); }},
      {"ln", [](double v) { return std::log(v); }},
      {"log2", [](double v) { return std::log2(v); }},
      {"log10", [](double v) { return std::log10(v); }},
      {"sqrt", [](double v) { return std::sqrt(v); }},
      {"sgn", Sgn},
      {"deg", Deg},
      {"rad", Rad},
      {"acos", [](double v) { return std::acos(v); }},
      {"acosh", [](double v) { return std::acosh(v); }},
      {"asin", [](double v) { return std::asin(v); }},
      {"asinh", [](double v) { return std::asinh(v); }},
      {"atan", [](double v) { return std::atan(v); }},
      {"atanh", [](double v) { return std::atanh(v); }},
      {"cos", [](double v) { return std::cos(v); }},
      {"cosh", [](double v) { return std::cosh(v); }},
      {"sin", [](double v) { return std::sin(v); }},
      {"sinh", [](double v) { return std::sinh(v); }},
      {"tan", [](double v) { return std::tan(v); }},
      {"tanh", [](double v) { return std::tanh(v); }},
  };
  for (const auto& [n, fn] : kTable) {
    if (n == name) return fn;
  }
  return nullptr;
}

bool IsDateFunction(std::string_view name) {
  return name == "day_of_week" || name == "day_of_month" || name == "day_of_year" ||
         name == "days_in_month" || name == "hour" || name == "minute" || name == "month" ||
         name == "year";
}

// Ascending or descending by value, NaN last; stable.
void SortByValue(Vector& v, bool descending) {
  std::stable_sort(v.begin(), v.end(),
                   [descending](const VectorElement& a, const VectorElement& b) {
                     if (std::isnan(a.v)) return false;
                     if (std::isnan(b.v)) return true;
                     return descending ? a.v > b.v : a.v < b.v;
                   });
}

}  // namespace

bool IsInstantFunction(std::string_view name) {
  return FindMath(name) != nullptr || IsDateFunction(name) || name == "round" || name == "clamp" ||
         name == "clamp_min" || name == "clamp_max" || name == "sort" || name == "sort_desc";
}

Vector EvalInstantFunction(std::string_view name, Vector vector, std::span<const double> scalars) {
  if (name == "sort" || name == "sort_desc") {
    SortByValue(vector, name == "sort_desc");
    return vector;
  }
  if (name == "clamp" && scalars.size() == 2 && scalars[1] < scalars[0]) return {};
  const MathFn fn = FindMath(name);
  const bool date = IsDateFunction(name);
  for (VectorElement& e : vector) {
    double v = e.v;
    if (fn != nullptr) {
      v = fn(v);
    } else if (date) {
      v = DateFunction(name, v);
    } else if (name == "round") {
      const double to_nearest = scalars.empty() ? 1 : scalars[0];
      const double inverse = 1 / to_nearest;
      v = std::floor(v * inverse + 0.5) / inverse;
    } else if (name == "clamp") {
      v = GoMax(scalars[0], GoMin(scalars[1], v));
    } else if (name == "clamp_min") {
      v = GoMax(scalars[0], v);
    } else if (name == "clamp_max") {
      v = GoMin(scalars[0], v);
    }
    e.v = v;
    e.metric = DropMetricName(e.metric);
  }
  return vector;
}

}  // namespace strata::collector::promql
