//===- TableFormat.cpp - codebook element formats --------------------------===//
//
// Part of qopt. Pure C++ (no MLIR).
//
//===----------------------------------------------------------------------===//
#include "qopt/Format/TableFormat.h"

#include <cmath>

namespace qopt::format {

std::string TableFormat::validate(const std::vector<double> &values) {
  if (values.size() != 16)
    return "a codebook needs exactly 16 values, got " + std::to_string(values.size());
  for (size_t i = 0; i < values.size(); ++i) {
    if (!std::isfinite(values[i]))
      return "codebook value " + std::to_string(i) + " is not finite";
    if (i && !(values[i] > values[i - 1]))
      return "codebook values must be strictly increasing (entry " + std::to_string(i) + ")";
  }
  return "";
}

TableFormat::TableFormat(std::array<float, 16> values, std::string name)
    : values(values), name(name.empty() ? "codebook" : std::move(name)) {}

TableFormat TableFormat::nf4() {
  // bitsandbytes' NF4: quantiles of N(0, 1) normalised to [-1, 1].
  return TableFormat({-1.0f, -0.6961928009986877f, -0.5250730514526367f,
                      -0.39491748809814453f, -0.28444138169288635f,
                      -0.18477343022823334f, -0.09105003625154495f, 0.0f,
                      0.07958029955625534f, 0.16093020141124725f, 0.24611230194568634f,
                      0.33791524171829224f, 0.44070982933044434f, 0.5626170039176941f,
                      0.7229568362236023f, 1.0f},
                     "nf4");
}

double TableFormat::getMaxAbs() const {
  return std::max(std::fabs(double(values.front())), std::fabs(double(values.back())));
}

uint32_t TableFormat::encode(double value) const {
  if (std::isnan(value))
    value = 0;
  // At or beyond the ends the nearest entry is the end (for huge |x| the
  // double distances would all round to the same value).
  if (value >= double(values.back()))
    return 15;
  if (value <= double(values.front()))
    return 0;
  uint32_t best = 0;
  double bestDist = INFINITY;
  for (uint32_t i = 0; i < 16; ++i) {
    double d = std::fabs(value - double(values[i]));
    if (d < bestDist ||
        (d == bestDist && std::fabs(double(values[i])) < std::fabs(double(values[best])))) {
      best = i;
      bestDist = d;
    }
  }
  return best;
}

} // namespace qopt::format
