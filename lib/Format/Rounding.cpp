//===- Rounding.cpp - rounding to integers and enum names ------------------===//
//
// Part of qopt. Pure C++ (no MLIR).
//
//===----------------------------------------------------------------------===//
#include "qopt/Format/Rounding.h"

#include <cmath>

namespace qopt::format {

double roundToIntegral(double value, Rounding mode) {
  if (!std::isfinite(value))
    return value;
  switch (mode) {
  case Rounding::TowardZero:
    return std::trunc(value);
  case Rounding::Up:
    return std::ceil(value);
  case Rounding::Down:
    return std::floor(value);
  case Rounding::NearestAway:
  case Rounding::NearestEven: {
    double mag = std::fabs(value);
    double base = std::floor(mag);
    double frac = mag - base; // exact
    double r = base;
    if (frac > 0.5)
      r = base + 1;
    else if (frac == 0.5)
      r = (mode == Rounding::NearestAway || std::fmod(base, 2.0) != 0) ? base + 1 : base;
    return std::copysign(r, value);
  }
  }
  return value;
}

std::string_view stringify(Rounding mode) {
  switch (mode) {
  case Rounding::NearestEven: return "nearest_even";
  case Rounding::NearestAway: return "nearest_away";
  case Rounding::TowardZero: return "toward_zero";
  case Rounding::Up: return "up";
  case Rounding::Down: return "down";
  }
  return "";
}

std::string_view stringify(ScaleMode mode) {
  switch (mode) {
  case ScaleMode::Floor: return "floor";
  case ScaleMode::Ceil: return "ceil";
  case ScaleMode::Even: return "even";
  case ScaleMode::RCeil: return "rceil";
  }
  return "";
}

std::optional<Rounding> symbolizeRounding(std::string_view name) {
  for (Rounding r : {Rounding::NearestEven, Rounding::NearestAway, Rounding::TowardZero,
                     Rounding::Up, Rounding::Down})
    if (stringify(r) == name)
      return r;
  return std::nullopt;
}

std::optional<ScaleMode> symbolizeScaleMode(std::string_view name) {
  for (ScaleMode m : {ScaleMode::Floor, ScaleMode::Ceil, ScaleMode::Even, ScaleMode::RCeil})
    if (stringify(m) == name)
      return m;
  return std::nullopt;
}

} // namespace qopt::format
