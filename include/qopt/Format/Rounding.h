//===- Rounding.h - rounding, overflow and scale-mode enums -----*- C++ -*-===//
//
// Part of qopt. Pure C++ (no MLIR).
//
//===----------------------------------------------------------------------===//
#ifndef QOPT_FORMAT_ROUNDING_H
#define QOPT_FORMAT_ROUNDING_H

#include <cstdint>
#include <optional>
#include <string_view>

namespace qopt::format {

/// Element rounding. NearestEven is the default everywhere (ONNX, cuDNN);
/// NearestAway is the MX reference emulator's "nearest".
enum class Rounding : uint8_t { NearestEven, NearestAway, TowardZero, Up, Down };

/// What happens to magnitudes beyond the largest finite value.
enum class Overflow : uint8_t {
  Saturate, ///< clamp to +-max finite (ONNX saturate=1, MX, FP6/FP4 always)
  Special,  ///< Inf where the format has it, else NaN, else saturate
};

/// How an OCP MX block turns its amax into a power-of-two (E8M0) scale.
enum class ScaleMode : uint8_t {
  Floor, ///< OCP MX v1.0: floor(log2(amax)) - emax (the default)
  Ceil,  ///< ceil(log2(amax)) - emax
  Even,  ///< round amax to the element's mantissa width first, then Floor
  RCeil, ///< ceil(log2(amax / max_elem)) (cuBLAS / Blackwell hardware)
};

/// Rounds a finite double to an integer-valued double under `mode`.
double roundToIntegral(double value, Rounding mode);

std::string_view stringify(Rounding mode);
std::string_view stringify(ScaleMode mode);
std::optional<Rounding> symbolizeRounding(std::string_view name);
std::optional<ScaleMode> symbolizeScaleMode(std::string_view name);

} // namespace qopt::format

#endif // QOPT_FORMAT_ROUNDING_H
