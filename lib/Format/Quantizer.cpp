//===- Quantizer.cpp - scale rules and tensor (de)quantization -------------===//
//
// Part of qopt. Pure C++ (no MLIR). Arithmetic follows FORMATS.md: divisions
// by scales happen in FP32 (as ONNX and the reference emulators do); power-of-
// two scales divide exactly.
//
//===----------------------------------------------------------------------===//
#include "qopt/Format/Quantizer.h"

#include <algorithm>
#include <cassert>
#include <cmath>

namespace qopt::format {

//===----------------------------------------------------------------------===//
// Scale rules
//===----------------------------------------------------------------------===//

double mxElementUnit(const ElementFormat &element) {
  if (element.isInt())
    return std::ldexp(1.0, -int(element.getInt().getBitWidth()) + 2);
  return 1.0;
}

double mxMaxElement(const ElementFormat &element) {
  return element.getMaxAbs() * mxElementUnit(element);
}

int mxEmax(const ElementFormat &element) { return std::ilogb(mxMaxElement(element)); }

int mxRoundingBits(const ElementFormat &element) {
  return element.isFloat() ? int(element.getFloat().getManBits())
         : element.isInt() ? int(element.getInt().getBitWidth()) - 2
                           : 0;
}

/// ceil(log2(x)) for finite positive x.
static int ceilLog2(double x) {
  int e = std::ilogb(x);
  return std::ldexp(1.0, e) == x ? e : e + 1;
}

uint32_t mxScaleCode(float amax, const ElementFormat &element, ScaleMode mode) {
  amax = std::fabs(amax);
  if (!std::isfinite(amax))
    return 0xFF;
  if (amax == 0)
    return 0x00;
  int emax = mxEmax(element);
  int e = 0;
  switch (mode) {
  case ScaleMode::Floor:
    e = std::ilogb(amax) - emax;
    break;
  case ScaleMode::Ceil:
    e = ceilLog2(amax) - emax;
    break;
  case ScaleMode::Even: {
    // Round amax (half away from zero) to the element's mantissa width.
    int man = mxRoundingBits(element);
    double quantum = std::ldexp(1.0, std::ilogb(amax) - man);
    double rounded = roundToIntegral(double(amax) / quantum, Rounding::NearestAway) * quantum;
    e = std::ilogb(rounded) - emax;
    break;
  }
  case ScaleMode::RCeil: {
    float descale = amax / float(mxMaxElement(element)); // FP32, as hardware
    if (descale == 0)
      return 0x00;
    e = std::isfinite(descale) ? ceilLog2(descale) : 128;
    break;
  }
  }
  if (e > 127)
    return 0xFF;
  return uint32_t(std::max(e, -127) + 127);
}

float twoLevelTensorScale(float tensorAmax, const FloatFormat &blockScale,
                          const ElementFormat &element) {
  float denom = float(blockScale.getMaxFinite() * element.getMaxAbs());
  float s = std::fabs(tensorAmax) / denom;
  if (s == 0)
    return 1.0f;
  return s;
}

uint32_t twoLevelBlockScaleCode(float blockAmax, float tensorScale,
                                const FloatFormat &blockScale, const ElementFormat &element) {
  float r = (std::fabs(blockAmax) / float(element.getMaxAbs())) / tensorScale;
  if (std::isnan(r))
    return blockScale.encode(NAN);
  double clamped = std::clamp(double(r), blockScale.getMinPositive(), blockScale.getMaxFinite());
  return blockScale.encode(clamped, Rounding::NearestEven, Overflow::Saturate);
}

uint32_t absMaxScaleCode(float amax, const FloatFormat &scale, const ElementFormat &element) {
  float s = std::fabs(amax) / float(element.getMaxAbs());
  if (std::isnan(s))
    return scale.encode(NAN);
  uint32_t code = scale.encode(s, Rounding::NearestEven, Overflow::Saturate);
  if (scale.decode(code) == 0)
    code = scale.encode(scale.getMinPositive());
  return code;
}

AffineParams affineParams(float minValue, float maxValue, const FloatFormat &scale,
                          const IntFormat &element, const IntFormat &zeroPoint) {
  float lo = std::min(minValue, 0.0f), hi = std::max(maxValue, 0.0f);
  float qmin = float(element.getMin()), qmax = float(element.getMax());
  float s = (hi - lo) / (qmax - qmin);
  uint32_t scaleCode = scale.encode(s, Rounding::NearestEven, Overflow::Saturate);
  float sd = float(scale.decode(scaleCode));
  if (sd == 0 || !std::isfinite(sd)) {
    scaleCode = scale.encode(1.0);
    sd = 1.0f;
  }
  float zp = qmin - lo / sd;
  uint32_t zpCode = zeroPoint.encode(zp, Rounding::NearestEven, element.getMin(), element.getMax());
  return {scaleCode, zpCode};
}

uint32_t quantizeLinear(const ElementFormat &element, float x, float scale,
                        int64_t zeroPoint, Rounding rounding, Overflow overflow) {
  float v = x / scale;
  if (element.isInt()) {
    double r = roundToIntegral(v, rounding) + double(zeroPoint);
    return element.getInt().encode(std::isnan(v) ? NAN : r, Rounding::TowardZero);
  }
  return element.encode(v, rounding, overflow);
}

float dequantizeLinear(const ElementFormat &element, uint32_t code, float scale,
                       int64_t zeroPoint) {
  if (element.isInt())
    return float(element.getInt().decode(code) - zeroPoint) * scale;
  return float(element.decode(code)) * scale;
}

//===----------------------------------------------------------------------===//
// Whole tensors
//===----------------------------------------------------------------------===//

int64_t scaleIndexOf(const std::vector<int64_t> &shape, const std::vector<int64_t> &scaleShape,
                     int64_t linearIndex) {
  int64_t result = 0, stride = 1;
  for (int64_t d = int64_t(shape.size()) - 1; d >= 0; --d) {
    int64_t idx = linearIndex % shape[d];
    linearIndex /= shape[d];
    int64_t extent = shape[d] / scaleShape[d];
    result += (idx / extent) * stride;
    stride *= scaleShape[d];
  }
  return result;
}

/// Calls fn(elementIndex, scaleIndex) over a row-major tensor, incrementally.
template <typename Fn>
static void forEachElement(const std::vector<int64_t> &shape,
                           const std::vector<int64_t> &scaleShape, Fn fn) {
  size_t rank = shape.size();
  int64_t n = 1;
  for (int64_t d : shape)
    n *= d;
  if (n == 0)
    return;
  std::vector<int64_t> idx(rank, 0), extent(rank), sstride(rank);
  int64_t s = 1;
  for (size_t d = rank; d-- > 0;) {
    extent[d] = shape[d] / scaleShape[d];
    sstride[d] = s;
    s *= scaleShape[d];
  }
  int64_t scaleIdx = 0;
  for (int64_t i = 0; i < n; ++i) {
    fn(i, scaleIdx);
    for (size_t d = rank; d-- > 0;) {
      int64_t before = idx[d] / extent[d];
      if (++idx[d] < shape[d]) {
        scaleIdx += (idx[d] / extent[d] - before) * sstride[d];
        break;
      }
      scaleIdx -= before * sstride[d];
      idx[d] = 0;
    }
  }
}

static int64_t product(const std::vector<int64_t> &v) {
  int64_t n = 1;
  for (int64_t d : v)
    n *= d;
  return n;
}

/// Element encoding after division by the effective scale: integers use the
/// symmetric range [-qmax, qmax] (no zero point).
static uint32_t encodeScaled(const ElementFormat &element, double v, const QuantizeOptions &o) {
  if (element.isInt()) {
    const IntFormat &i = element.getInt();
    int64_t lo = i.isSigned() ? -i.getMax() : 0;
    return i.encode(v, o.rounding, lo, i.getMax());
  }
  return element.encode(v, o.rounding, o.overflow);
}

QuantizedTensor quantize(const TensorFormat &format, const float *data,
                         const std::vector<int64_t> &shape, const QuantizeOptions &options) {
  assert(format.verifyShape(shape).empty() && "shape does not fit the format");
  const ElementFormat &element = format.getElement();
  const FloatFormat &scale = format.getScale();
  std::vector<int64_t> scaleShape = format.getScaleShape(shape);
  int64_t n = product(shape), ns = product(scaleShape);
  QuantizedTensor q;
  q.shape = shape;
  q.codes.resize(n);
  q.scaleCodes.resize(ns);

  // Per-group statistics.
  std::vector<float> amax(ns, 0.0f), mins(ns, INFINITY), maxs(ns, -INFINITY);
  std::vector<uint8_t> hasNaN(ns, 0), hasData(ns, 0);
  forEachElement(shape, scaleShape, [&](int64_t i, int64_t s) {
    float x = data[i];
    if (std::isnan(x)) {
      hasNaN[s] = 1;
      return;
    }
    hasData[s] = 1;
    amax[s] = std::max(amax[s], std::fabs(x));
    mins[s] = std::min(mins[s], x);
    maxs[s] = std::max(maxs[s], x);
  });
  for (int64_t s = 0; s < ns; ++s)
    if (hasNaN[s])
      amax[s] = NAN;

  // Scales, by the format's one rule.
  std::vector<double> divisor(ns);
  std::vector<int64_t> zp(ns, 0);
  switch (format.getScaleRule()) {
  case ScaleRule::MX: {
    double unit = mxElementUnit(element);
    for (int64_t s = 0; s < ns; ++s) {
      q.scaleCodes[s] = mxScaleCode(amax[s], element, options.scaleMode);
      divisor[s] = scale.decode(q.scaleCodes[s]) * unit; // a power of two (or NaN)
    }
    break;
  }
  case ScaleRule::TwoLevel: {
    float tensorAmax = 0;
    for (int64_t s = 0; s < ns; ++s)
      tensorAmax = std::isnan(amax[s]) || std::isnan(tensorAmax) ? NAN
                                                                : std::max(tensorAmax, amax[s]);
    float st = twoLevelTensorScale(tensorAmax, scale, element);
    q.tensorScale = st;
    for (int64_t s = 0; s < ns; ++s) {
      q.scaleCodes[s] = twoLevelBlockScaleCode(amax[s], st, scale, element);
      divisor[s] = double(st * float(scale.decode(q.scaleCodes[s])));
    }
    break;
  }
  case ScaleRule::AbsMax:
    for (int64_t s = 0; s < ns; ++s) {
      q.scaleCodes[s] = absMaxScaleCode(amax[s], scale, element);
      divisor[s] = double(float(scale.decode(q.scaleCodes[s])));
    }
    break;
  case ScaleRule::Affine: {
    q.zeroPointCodes.resize(ns);
    for (int64_t s = 0; s < ns; ++s) {
      float lo = hasData[s] ? mins[s] : 0.0f; // an all-NaN or empty group
      float hi = hasData[s] ? maxs[s] : 0.0f;
      AffineParams p = affineParams(lo, hi, scale, element.getInt(), *format.getZeroPoint());
      q.scaleCodes[s] = p.scaleCode;
      q.zeroPointCodes[s] = p.zeroPointCode;
      zp[s] = format.getZeroPoint()->decode(p.zeroPointCode);
      divisor[s] = double(float(scale.decode(p.scaleCode)));
    }
    break;
  }
  }

  // Elements.
  bool exactDivision = format.getScaleRule() == ScaleRule::MX;
  forEachElement(shape, scaleShape, [&](int64_t i, int64_t s) {
    if (std::isnan(divisor[s])) {
      q.codes[i] = 0; // the NaN scale makes the whole block NaN
      return;
    }
    if (format.getScaleRule() == ScaleRule::Affine) {
      q.codes[i] = quantizeLinear(element, data[i], float(divisor[s]), zp[s],
                                  options.rounding, options.overflow);
      return;
    }
    double v = exactDivision ? double(data[i]) / divisor[s]
                             : double(data[i] / float(divisor[s]));
    if (format.getScaleRule() == ScaleRule::TwoLevel)
      v = std::clamp(v, -element.getMaxAbs(), element.getMaxAbs());
    q.codes[i] = encodeScaled(element, v, options);
  });
  return q;
}

void dequantize(const TensorFormat &format, const QuantizedTensor &q, float *out) {
  const ElementFormat &element = format.getElement();
  const FloatFormat &scale = format.getScale();
  std::vector<int64_t> scaleShape = format.getScaleShape(q.shape);
  ScaleRule rule = format.getScaleRule();
  double unit = rule == ScaleRule::MX ? mxElementUnit(element) : 1.0;
  forEachElement(q.shape, scaleShape, [&](int64_t i, int64_t s) {
    double sv = scale.decode(q.scaleCodes[s]);
    switch (rule) {
    case ScaleRule::MX:
      out[i] = float(element.decode(q.codes[i]) * unit * sv); // exact power-of-two product
      break;
    case ScaleRule::TwoLevel:
      out[i] = float(element.decode(q.codes[i])) * float(sv) * *q.tensorScale;
      break;
    case ScaleRule::AbsMax:
      out[i] = float(element.decode(q.codes[i])) * float(sv);
      break;
    case ScaleRule::Affine:
      out[i] = dequantizeLinear(element, q.codes[i], float(sv),
                                format.getZeroPoint()->decode(q.zeroPointCodes[s]));
      break;
    }
  });
}

} // namespace qopt::format
