//===- Quantizer.h - scale rules and tensor (de)quantization ----*- C++ -*-===//
//
// Part of qopt. Pure C++ (no MLIR). The block-scale rules of FORMATS.md:
// OCP MX (Floor/Ceil/Even/RCeil), NVFP4/NVINT4 two-level, integer symmetric
// and affine, NF4 absmax; and whole-tensor quantize/dequantize on top of them.
//
//===----------------------------------------------------------------------===//
#ifndef QOPT_FORMAT_QUANTIZER_H
#define QOPT_FORMAT_QUANTIZER_H

#include "qopt/Format/TensorFormat.h"

#include <cstdint>
#include <optional>
#include <vector>

namespace qopt::format {

//===----------------------------------------------------------------------===//
// Scale rules (one function per rule; every caller uses these)
//===----------------------------------------------------------------------===//

/// The E8M0 code of an OCP MX block whose largest magnitude is `amax` (NaN or
/// Inf amax: 0xFF). All-zero block: 0x00 (2^-127).
uint32_t mxScaleCode(float amax, const ElementFormat &element, ScaleMode mode);

/// Value of one element unit under an MX scale: integer elements are fixed
/// point with (bits - 2) fraction bits (MXINT8: 1.6), float elements 1.
double mxElementUnit(const ElementFormat &element);
/// Largest element value under an MX scale of 1 (max element x unit).
double mxMaxElement(const ElementFormat &element);
/// floor(log2(mxMaxElement)): the "emax" the MX FLOOR/CEIL/EVEN rules subtract.
int mxEmax(const ElementFormat &element);
/// Mantissa bits the EVEN rule rounds amax to (float: man bits, int: bits-2).
int mxRoundingBits(const ElementFormat &element);

/// NVFP4/NVINT4 first level: amax_tensor / (max(blockScale) * max element),
/// in FP32. An all-zero tensor gets 1.
float twoLevelTensorScale(float tensorAmax, const FloatFormat &blockScale,
                          const ElementFormat &element);
/// NVFP4/NVINT4 second level: code of the block scale
/// round(clamp(amax_block / max_elem / s_tensor, min positive, max)).
uint32_t twoLevelBlockScaleCode(float blockAmax, float tensorScale,
                                const FloatFormat &blockScale,
                                const ElementFormat &element);

/// Symmetric absmax rule: code of amax / max element in the scale format
/// (an all-zero block gets the smallest positive scale).
uint32_t absMaxScaleCode(float amax, const FloatFormat &scale,
                         const ElementFormat &element);

/// Affine integer rule (ONNX DynamicQuantizeLinear generalised): the range
/// is widened to include 0; scale = (max - min) / (qmax - qmin), zero point
/// = saturate(round(qmin - min / scale)). Returns {scale code, zp code}.
struct AffineParams {
  uint32_t scaleCode;
  uint32_t zeroPointCode;
};
AffineParams affineParams(float minValue, float maxValue, const FloatFormat &scale,
                          const IntFormat &element, const IntFormat &zeroPoint);

/// ONNX QuantizeLinear on one element: integers saturate(round(x / scale) +
/// zeroPoint) into the element range; floats encode(x / scale) (the
/// division in FP32).
uint32_t quantizeLinear(const ElementFormat &element, float x, float scale,
                        int64_t zeroPoint, Rounding rounding, Overflow overflow);
/// ONNX DequantizeLinear on one element: (decode(code) - zeroPoint) * scale.
float dequantizeLinear(const ElementFormat &element, uint32_t code, float scale,
                       int64_t zeroPoint);

//===----------------------------------------------------------------------===//
// Whole tensors
//===----------------------------------------------------------------------===//

struct QuantizeOptions {
  Rounding rounding = Rounding::NearestEven;
  ScaleMode scaleMode = ScaleMode::Floor;
  Overflow overflow = Overflow::Saturate;
};

/// A quantized tensor in unpacked form: one code per element, one scale code
/// per scale-grid entry (row-major over getScaleShape), optional zero-point
/// codes (same grid) and optional FP32 tensor scale.
struct QuantizedTensor {
  std::vector<int64_t> shape;
  std::vector<uint32_t> codes;
  std::vector<uint32_t> scaleCodes;
  std::vector<uint32_t> zeroPointCodes;
  std::optional<float> tensorScale;
};

/// Quantizes `data` (row-major, `shape`) by the format's scale rule.
/// The shape must satisfy format.verifyShape.
QuantizedTensor quantize(const TensorFormat &format, const float *data,
                         const std::vector<int64_t> &shape,
                         const QuantizeOptions &options = {});
/// Decodes `q` into `out` (row-major, q.shape).
void dequantize(const TensorFormat &format, const QuantizedTensor &q, float *out);

/// For each element, the linear index of its scale-grid entry.
int64_t scaleIndexOf(const std::vector<int64_t> &shape,
                     const std::vector<int64_t> &scaleShape, int64_t linearIndex);

} // namespace qopt::format

#endif // QOPT_FORMAT_QUANTIZER_H
