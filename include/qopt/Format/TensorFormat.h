//===- TensorFormat.h - element x scale x granularity descriptor -*- C++ -*-===//
//
// Part of qopt. Pure C++ (no MLIR). The complete description of a quantized
// tensor's encoding; the `!qopt.format` type maps one-to-one onto it.
//
//===----------------------------------------------------------------------===//
#ifndef QOPT_FORMAT_TENSORFORMAT_H
#define QOPT_FORMAT_TENSORFORMAT_H

#include "qopt/Format/ElementFormat.h"

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace qopt::format {

/// Which values share one scale. Axes may be negative (counted from the
/// end), so a granularity is independent of the tensor's rank.
struct Granularity {
  enum class Kind : uint8_t {
    Tensor, ///< one scale for the whole tensor
    Axis,   ///< one scale per index along `axes[0]` (per channel)
    Block,  ///< blocks of `sizes[i]` along `axes[i]` (1-D or 2-D), size 1
            ///< along every other axis
  };
  Kind kind = Kind::Tensor;
  std::vector<int64_t> axes;
  std::vector<int64_t> sizes;

  static Granularity perTensor() { return {}; }
  static Granularity perAxis(int64_t axis) { return {Kind::Axis, {axis}, {}}; }
  static Granularity blocks(std::vector<int64_t> axes, std::vector<int64_t> sizes) {
    return {Kind::Block, std::move(axes), std::move(sizes)};
  }
  bool operator==(const Granularity &o) const {
    return kind == o.kind && axes == o.axes && sizes == o.sizes;
  }
};

/// The rule that turns values into scales; derived from the format, never
/// chosen separately (see docs/Formats.md).
enum class ScaleRule : uint8_t {
  MX,       ///< E8M0 power-of-two scale from the block amax (ScaleMode)
  TwoLevel, ///< NVFP4/NVINT4: FP32 tensor scale, rounded block scale under it
  AbsMax,   ///< scale = amax / max element, rounded into the scale format
  Affine,   ///< integer with zero point: scale and zero point from min/max
};

class TensorFormat {
public:
  TensorFormat(ElementFormat element, FloatFormat scale, Granularity granularity,
               std::optional<FloatFormat> tensorScale = std::nullopt,
               std::optional<IntFormat> zeroPoint = std::nullopt);

  /// Checks a combination for consistency; returns an error message (empty
  /// when valid). Every rule of what may be combined lives here.
  static std::string verify(const ElementFormat &element, const FloatFormat &scale,
                            const Granularity &granularity,
                            const std::optional<FloatFormat> &tensorScale,
                            const std::optional<IntFormat> &zeroPoint);
  /// Checks the format against a tensor shape (axes in range, blocks
  /// dividing their dimension); returns an error message or empty.
  std::string verifyShape(const std::vector<int64_t> &shape) const;

  /// Named presets (mxfp4, mxfp6_e2m3, mxfp6_e3m2, mxfp8_e4m3, mxfp8_e5m2,
  /// mxint8, nvfp4, nvint4, fp8_e4m3, fp8_e5m2, int8, int4, int8_g<N>,
  /// int4_g<N>, nf4, nf4_g<N>) or a long form
  /// `element=f4E2M1FN,scale=f8E8M0FNU,block=32[x32],axis=-1[x-2]
  ///  [,channel=0][,tensor_scale=f32][,zero_point=ui4]` (lists use 'x'
  /// because ',' separates keys; `axis` defaults to the trailing axes).
  /// On failure returns nullopt and sets `error`.
  static std::optional<TensorFormat> parse(std::string_view spec, std::string &error);
  /// The preset name this format equals, if any (used for aliases).
  std::optional<std::string> getPresetName() const;
  /// Every preset name with a fixed spelling (int*_g<N> listed for 32/64/128).
  static std::vector<std::string> getPresetNames();

  const ElementFormat &getElement() const { return element; }
  const FloatFormat &getScale() const { return scale; }
  const Granularity &getGranularity() const { return granularity; }
  const std::optional<FloatFormat> &getTensorScale() const { return tensorScale; }
  const std::optional<IntFormat> &getZeroPoint() const { return zeroPoint; }
  ScaleRule getScaleRule() const;

  /// Shape of the scale (and zero-point) grid for a value of `shape`.
  std::vector<int64_t> getScaleShape(const std::vector<int64_t> &shape) const;
  /// Storage bits per element including scales, for a value of `shape`.
  double getBitsPerElement(const std::vector<int64_t> &shape) const;

  bool operator==(const TensorFormat &o) const {
    return element == o.element && scale == o.scale && granularity == o.granularity &&
           tensorScale == o.tensorScale && zeroPoint == o.zeroPoint;
  }

private:
  ElementFormat element;
  FloatFormat scale;
  Granularity granularity;
  std::optional<FloatFormat> tensorScale;
  std::optional<IntFormat> zeroPoint;
};

} // namespace qopt::format

#endif // QOPT_FORMAT_TENSORFORMAT_H
