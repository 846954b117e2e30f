//===- Passes.td - qopt transformation passes --------------*- tablegen -*-===//
//
// Part of qopt.
//
//===----------------------------------------------------------------------===//
#ifndef QOPT_DIALECT_QOPT_TRANSFORMS_PASSES_TD
#define QOPT_DIALECT_QOPT_TRANSFORMS_PASSES_TD

include "mlir/Pass/PassBase.td"

def QuantizePass : Pass<"qopt-quantize", "ModuleOp"> {
  let summary = "Quantize constant weights (and activations) of matmuls and convolutions";
  let description = [{
    For every `qopt.matmul` whose right operand is a constant weight W (K x N,
    or a transposed N x K constant) and every imported convolution (weight
    [M, C/G, kh, kw] seen as M rows of K = C/G x kh x kw), quantizes W at
    compile time into the scheme's weight format, blocked along the reduction
    axis K: W becomes a `qopt.quantize` of a constant, which folds (bit-exact,
    through lib/Format) into packed `qopt.constant` bytes. When K is not a
    multiple of the block, the weight's tail block is zero-padded (zeros do
    not change a block's amax); a matmul's activation is zero-padded to match,
    a convolution's padded weight is sliced after decoding. Matmuls whose
    right operand is not a constant (activation x activation) are left alone.

    Schemes with activation formats (`w8a8-*`, `w4a8-*`, `w4a4-*`) also insert
    a `qopt.quantize` of the matmul's left operand, whose scales are computed
    at run time (per row for int8/fp8, per 32/16-block along K for MX/NV;
    NVFP4 activations get their own FP32 tensor scale). An ungrouped
    convolution then becomes im2col x W^T: a `qopt.matmul` on its quantized
    im2col rows; grouped convolutions keep float activations.

    `scheme`: `none`, `w8a16-int8`, `w4a16-int4-g128`, `w4a16-int4-g32`,
    `w8a16-fp8`, `w4a16-mxfp4`, `w6a16-mxfp6`, `w8a16-mxfp8`, `w8a16-mxint8`,
    `w4a16-nvfp4`, `w4a16-nf4`, `w8a8-int8`, `w8a8-fp8`, `w4a8-mxfp4-fp8`,
    `w8a8-mxfp8`, `w8a8-mxint8`, `w4a4-mxfp4`, `w4a4-nvfp4`, or the general
    form `w=FMT[;a=FMT][;rounding=rne|away|zero|up|down][;scale_mode=floor|ceil|even|rceil]`
    where FMT is a preset (`mxfp4`, `int4_g64`, ...) or a lib/Format spec
    (`element=i4,scale=f16,block=64,axis=-1`); blocks along the last axis are
    taken along K. `layer-scheme` overrides the scheme for layers whose ONNX
    node name matches a glob (`GLOB=SCHEME`, first match wins); `exclude`
    keeps matching layers in float; `report` prints a per-layer table ("-")
    or writes JSON to a path; `report-schemes` adds the weight SQNR of every
    eligible layer under each listed scheme (a sensitivity table; JSON key
    "sensitivity").
    ```mlir
    %y = qopt.matmul %x, %w : tensor<8x64xf32>, tensor<64x16xf32> -> tensor<8x16xf32>
    // qopt-quantize{scheme=w4a4-mxfp4}:
    %qw = qopt.quantize %w2 : tensor<64x16xf32> to tensor<64x16x!qopt.format<f4E2M1FN,
        scale = f8E8M0FNU, block = [32], axes = [0]>>
    %qx = qopt.quantize %x : tensor<8x64xf32> to tensor<8x64x!qopt.format<f4E2M1FN,
        scale = f8E8M0FNU, block = [32], axes = [1]>>
    %y = qopt.matmul %qx, %qw : ...
    ```
  }];
  let options = [
    Option<"scheme", "scheme", "std::string", "\"none\"",
           "Quantization scheme (a name such as w4a16-mxfp4, or w=FMT;a=FMT;...)">,
    ListOption<"layerSchemes", "layer-scheme", "std::string",
               "Per-layer scheme overrides GLOB=SCHEME (ONNX node-name glob)">,
    ListOption<"exclude", "exclude", "std::string",
               "ONNX node-name globs of layers to keep in float">,
    Option<"report", "report", "std::string", "\"\"",
           "Per-layer report: '-' prints a table, a path writes JSON">,
    ListOption<"reportSchemes", "report-schemes", "std::string",
               "Schemes whose weight SQNR the report lists per layer (sensitivity table)">,
  ];
  let dependentDialects = ["::mlir::qopt::QOptDialect", "::mlir::tensor::TensorDialect",
                           "::mlir::arith::ArithDialect"];
}

def MaterializeScalesPass : Pass<"qopt-materialize-scales"> {
  let summary = "Make every computed scale of qopt.quantize explicit IR";
  let description = [{
    Rewrites each `qopt.quantize` whose scales the format computes and whose
    input is not a constant (constants fold through lib/Format instead) into
    linalg/arith IR, one emitter per lib/Format rule:

    - block statistics: the input is viewed as [grid, block, grid, block, ...]
      with `tensor.expand_shape` and reduced per block (amax with NaN
      propagation; min/max skipping NaN for affine formats);
    - OCP MX: the E8M0 code from amax under `scale_mode` (FLOOR, CEIL, EVEN,
      RCEIL), elements divided by the power-of-two scale (MXINT: fixed point
      1.(bits-2));
    - NVFP4/NVINT4 two-level: FP32 tensor scale amax / (448 x 6), E4M3 block
      scales clamped to the scale range, elements clamped to the element range;
    - absmax: amax / max element in the scale format (zero blocks get the
      smallest positive scale);
    - affine: (max - min) / (qmax - qmin) over a range widened to 0, zero
      point round(qmin - min / scale), then an explicit-scale quantize.

    Symmetric results become `qopt.assemble codes(..) scales(..)
    [tensor_scale(..)]`; affine results a `qopt.quantize` with explicit
    scales and zero points. Formats without generated codecs are an error.
    ```mlir
    %q = qopt.quantize %x : tensor<4x64xf32> to tensor<4x64x!qopt.mxfp4>
    // becomes: amax per 1x32 block, E8M0 codes, encoded elements, and
    %q = qopt.assemble codes(%c : tensor<4x64xi4>) scales(%s : tensor<4x2xf8E8M0FNU>)
        -> tensor<4x64x!qopt.mxfp4>
    ```
  }];
  let dependentDialects = ["::mlir::qopt::QOptDialect", "::mlir::tensor::TensorDialect",
                           "::mlir::arith::ArithDialect", "::mlir::linalg::LinalgDialect",
                           "::mlir::math::MathDialect"];
}

def RotatePass : Pass<"qopt-rotate", "ModuleOp"> {
  let summary = "Block or global Hadamard rotation of matmul weights and activations";
  let description = [{
    For every `qopt.matmul` with a constant weight W (K x N), rewrites
    y = x W as y = (x R)(R^T W) with R = diag(H_b D, ..., H_b D): H_b the
    normalised Walsh-Hadamard matrix, D random signs from `seed` (FORMATS.md
    "Block Hadamard rotation"; lib/Format Hadamard.h). R^T W is computed at
    compile time into a new constant (which `qopt-quantize` then quantizes).
    x R folds into the producer's weights when x comes straight from another
    constant-weight matmul with no other use; otherwise it is a
    `qopt.hadamard` (lowered to a fast Walsh-Hadamard transform, O(K log b)
    per row). The matmul is tagged `qopt.rotated = "online" | "folded"`.

    `rotate`: `none`, `block` (b = the scheme's weight block along K: 32
    for MX, 16 for NVFP4, the group of int4-gN; 32 for per-channel or
    per-tensor formats), `block:N` (N a power of two dividing K), or
    `global` (b = the largest power of two dividing K: all of K when it is a
    power of two); `,seed=S` adds random signs. A block that does not divide
    K is an error for `block:N`; with `block` the layer is left unrotated
    with a warning. Without quantization the model computes the same function.
    ```mlir
    %y = qopt.matmul %x, %w : tensor<4x64xf32>, tensor<64x8xf32> -> tensor<4x8xf32>
    // qopt-rotate{rotate=block:32}:
    %r = qopt.hadamard %x {axis = -1 : i64, block = 32 : i64} : tensor<4x64xf32>
    %y = qopt.matmul %r, %rotated_w {qopt.rotated = "online"} : ...
    ```
  }];
  let options = [
    Option<"rotate", "rotate", "std::string", "\"none\"",
           "none | block | block:N | global, optionally ,seed=S">,
    Option<"scheme", "scheme", "std::string", "\"none\"",
           "The quantization scheme (for the block of the 'block' mode)">,
    ListOption<"exclude", "exclude", "std::string",
               "ONNX node-name globs of layers left unrotated">,
  ];
  let dependentDialects = ["::mlir::qopt::QOptDialect", "::mlir::arith::ArithDialect"];
}

def FoldNormsPass : Pass<"qopt-fold-norms"> {
  let summary = "Fold norm scales (gamma) and biases into the following matmul weights";
  let description = [{
    Where y = n * gamma (+ beta), with gamma / beta constant per channel of
    the last axis, feeds only constant-weight `qopt.matmul`s (through
    reshapes that keep that axis), rewrites each consumer's weight to
    diag(gamma) W, adds beta W after it, and leaves y = n. Sites: the final
    generic of an imported LayerNormalization / RMSNormalization /
    SimplifiedLayerNormalization (`qopt.norm_scale` / `qopt.norm_bias`), and
    any element-wise multiply by such a constant (a decomposed RMSNorm).
    A float model computes the same function; rotations of the consumers then
    act on the normalised (gamma-free) activations. Consumers are tagged
    `qopt.folded_norm`. Run by the pipeline before `qopt-rotate` when
    `fold-norms` is set (qopt-compile --fold-norms, implied by --rotate).
  }];
  let dependentDialects = ["::mlir::arith::ArithDialect", "::mlir::linalg::LinalgDialect",
                           "::mlir::tensor::TensorDialect"];
}

def ReorderChannelsPass : Pass<"qopt-reorder-channels"> {
  let summary = "Permute matmul input channels so that outliers share blocks";
  let description = [{
    For every `qopt.matmul` with a constant weight W (K x N) sorts the K
    channels by decreasing weight-row magnitude (max |W[k, :]|, stable), so
    that outlier channels share quantization blocks: W' = W[p, :]. The
    activation side x' = x[:, p] costs nothing at run time: it is folded into
    x's producers at compile time: the columns of constant-weight matmuls
    that produce x, the per-channel constants (biases, scales) of the
    element-wise ops in between (GELU, SiLU, SwiGLU's product, bias adds),
    through reshapes that keep the channel axis. When any value on that path
    has another user, or a producer is not of that kind, the layer is left
    alone. Consumers are tagged `qopt.reordered`. A float model computes the
    same function.
  }];
  let options = [
    Option<"reorder", "reorder", "std::string", "\"magnitude\"", "none | magnitude">,
  ];
  let dependentDialects = ["::mlir::arith::ArithDialect"];
}

def SmoothPass : Pass<"qopt-smooth"> {
  let summary = "SmoothQuant: move activation outliers into the weights";
  let description = [{
    For every constant-weight `qopt.matmul` that carries calibration
    statistics `qopt.act_absmax` (per input channel max |x_j|, attached by
    `qopt-compile --smooth=ALPHA --calibration-data=DIR`), computes
    s_j = max|x_j|^alpha / max|W_j|^(1-alpha) (max |W_j| over all matmuls
    that read the same activation; s_j = 1 where either is 0) and rewrites
    W' = diag(s) W, x' = x / s. x / s folds at compile time into the
    producer when it can: a norm's per-channel scale and bias (gamma / s,
    beta / s), an element-wise multiply by a channel constant, or the columns
    of a constant-weight matmul; otherwise a per-channel multiply runs
    online in front of the matmuls. Consumers are tagged
    `qopt.smoothed = "folded" | "online"`. A float model computes the same
    function.
  }];
  let options = [
    Option<"alpha", "alpha", "double", "0.5", "Migration strength alpha in [0, 1]">,
  ];
  let dependentDialects = ["::mlir::arith::ArithDialect", "::mlir::linalg::LinalgDialect",
                           "::mlir::tensor::TensorDialect"];
}

def FusePass : Pass<"qopt-fuse"> {
  let summary = "Element-wise fusion, with weight decoding fused per tile into its matmul";
  let description = [{
    Fuses element-wise producers into their consumers (upstream linalg
    patterns, reshape propagation, constant folding) except a weight decode
    (a generic tagged `qopt.decode` by convert-qopt-to-linalg) into a
    consumer with reduction loops, where it would be recomputed for every
    activation row. Each such consumer (the matmul) is then tiled along its
    reduction dim (`tile-k`) and the weight's parallel dim (`tile-n`) with
    the decode fused into the tile loop (scf tile-and-fuse): every weight
    element is decoded once per call into a `tile-k` x `tile-n` tile and the
    weight never exists in float as a whole. `tile-k=0` leaves the decode
    unfused.

    First, every lowered matmul whose weight has more than `parallel-n`
    columns is tiled along N by `parallel-n` with `scf.forall` (the decode
    fused into each column tile); the pipeline turns these loops into OpenMP
    work-sharing loops. The reduction is never split, so results are the
    same for any thread count. Then the consumers of such loops (bias,
    activation, residual, the next layer's online rotation and per-block
    activation quantization; `epilogues`) are fused into them, so they run
    per column tile while the tile is in cache, on the same threads. Last,
    the linalg ops still outside any loop are split along a parallel loop
    for threads (`parallel-rest`).
  }];
  let options = [
    Option<"tileK", "tile-k", "int64_t", "32", "Reduction tile of a decoded-weight matmul">,
    Option<"tileN", "tile-n", "int64_t", "128", "Weight-column tile of a decoded-weight matmul">,
    Option<"fuseEpilogues", "epilogues", "bool", "true",
           "Fuse element-wise consumers (bias, activation, residual) into the column tiles">,
    Option<"parallelN", "parallel-n", "int64_t", "128",
           "Weight-column tile run in parallel by threads (scf.forall); 0 = sequential">,
    Option<"parallelRest", "parallel-rest", "bool", "true",
           "Also run the linalg ops left outside loops (norms, softmax, element-wise, "
           "activation quantization of graph inputs) on threads, split along a parallel loop">,
  ];
  let dependentDialects = ["::mlir::linalg::LinalgDialect", "::mlir::scf::SCFDialect",
                           "::mlir::tensor::TensorDialect", "::mlir::affine::AffineDialect"];
}

def VectorizeMatmulsPass : Pass<"qopt-vectorize-matmuls"> {
  let summary = "Register-tiled vector kernels for lowered float matmuls";
  let description = [{
    Each `linalg.generic` tagged `qopt.matmul` with static shapes is blocked
    along K by `kc` and tiled into register blocks of `mr` rows x `nr`
    columns with the reduction innermost (scf tiling).
    - A float matmul (an FP32 layer, or the product of a decoded weight tile)
      is vectorized to `vector.contract` (as a named linalg.matmul), its
      accumulator hoisted out of the reduction loop (loop-invariant subset
      hoisting) and lowered to outer products: `mr * nr / 16` zmm FMAs per
      reduction step.
    - A matmul whose weight decode is fused into its body (at most 8 rows) is
      vectorized as is; its block-scale maps (`k floordiv 32`) are rewritten
      for the unit k tile, and the decoded vector is broadcast to the rows
      after decoding.
    - Weight decodes into tiles (`qopt.decode`) are vectorized row by row.
    - With `avx512`, the f32 decode of a code of at most 4 bits is replaced by
      a 16-entry table folded at compile time from the body's own ops; the
      pipeline lowers its gathers to `vpermps` after bufferization.
    The reduction order along K is unchanged (k ascending, one accumulator per
    output); products are fused multiply-adds, so results can differ from
    the scalar loops in the last bit, and never depend on the thread count.
    Bodies the vectorizer cannot take are left to the scalar lowering.
  }];
  let options = [
    Option<"mr", "mr", "int64_t", "4", "Rows per register block (power of two)">,
    Option<"nr", "nr", "int64_t", "64", "Columns per register block (power of two)">,
    Option<"avx512", "avx512", "bool", "true",
           "Target has AVX-512: codes of at most 4 bits decode by table (vpermps)">,
    Option<"kBlock", "kc", "int64_t", "64",
           "Reduction block walked by the register blocks (longer reductions are blocked)">,
  ];
  let dependentDialects = ["::mlir::linalg::LinalgDialect", "::mlir::scf::SCFDialect",
                           "::mlir::tensor::TensorDialect", "::mlir::vector::VectorDialect",
                           "::mlir::affine::AffineDialect", "::mlir::arith::ArithDialect"];
}

def ExposeLayersPass : Pass<"qopt-expose-layers", "ModuleOp"> {
  let summary = "Return every quantizable layer's output from the public functions";
  let description = [{
    Appends the result of every `qopt.matmul` and imported convolution to the
    results of each public function, with result attribute
    `onnx.name = "layer:<ONNX node name>"`. `qopt-compile --calibration-data`
    builds a float and a quantized library from the same exposed module and
    compares their layer outputs (output SQNR per layer). With `inputs`, the
    left operands of the matmuls are returned instead, named
    `act:<ONNX node name>` (activation statistics for `qopt-smooth`).
  }];
  let options = [
    Option<"inputs", "inputs", "bool", "false", "Expose matmul inputs instead of outputs">,
  ];
  let dependentDialects = ["::mlir::func::FuncDialect"];
}

#endif // QOPT_DIALECT_QOPT_TRANSFORMS_PASSES_TD
