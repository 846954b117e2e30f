// Every qopt-quantize diagnostic, with a nonzero exit.
// RUN: not qopt-opt %s --qopt-quantize="scheme=w3a16-int3" 2>&1 | FileCheck %s --check-prefix=UNKNOWN
// RUN: not qopt-opt %s --qopt-quantize="scheme=w=notaformat" 2>&1 | FileCheck %s --check-prefix=BADW
// RUN: not qopt-opt %s --qopt-quantize="scheme=w=mxfp4;a=int4_g64" 2>&1 | FileCheck %s --check-prefix=MEET
// RUN: not qopt-opt %s --qopt-quantize="scheme=w=mxfp4;rounding=sideways" 2>&1 | FileCheck %s --check-prefix=ROUND
// RUN: not qopt-opt %s --qopt-quantize="scheme=w=mxfp4;scale_mode=up" 2>&1 | FileCheck %s --check-prefix=MODE
// RUN: not qopt-opt %s --qopt-quantize="scheme=a=mxfp4" 2>&1 | FileCheck %s --check-prefix=NOW
// RUN: not qopt-opt %s --qopt-quantize="scheme=w=mxfp4;a=mxfp4;bits=3" 2>&1 | FileCheck %s --check-prefix=PART
// RUN: not qopt-opt %s --qopt-quantize="scheme=none layer-scheme=fc" 2>&1 | FileCheck %s --check-prefix=LAYER
// RUN: not qopt-opt %s --qopt-quantize="scheme=w=element=i8,scale=f32,block=2x32,axis=-2x-1" 2>&1 | FileCheck %s --check-prefix=SHAPE
// RUN: not qopt-opt %s --qopt-quantize="scheme=w8a16-int8 report=/nonexistent/dir/r.json" 2>&1 | FileCheck %s --check-prefix=REPORT

// UNKNOWN: error: qopt-quantize: unknown scheme 'w3a16-int3' (named schemes: none, w8a16-int8,
// BADW: error: qopt-quantize: weight format 'notaformat':
// MEET: error: qopt-quantize: weight blocks of 32 and activation blocks of 64 along K cannot meet in one matmul
// ROUND: error: qopt-quantize: rounding 'sideways' is not one of rne, away, zero, up, down
// MODE: error: qopt-quantize: scale_mode 'up' is not one of floor, ceil, even, rceil
// NOW: error: qopt-quantize: unknown scheme 'a=mxfp4'
// PART: error: qopt-quantize: scheme part 'bits=3' is not w=FORMAT, a=FORMAT, rounding=... or scale_mode=...
// LAYER: error: qopt-quantize: bad layer scheme 'fc' (expected GLOB=SCHEME)
// SHAPE: error: loc("fc_odd"): qopt-quantize: layer 'fc_odd': weight 64x15: block size 32 does not divide dimension 1 (15)
// REPORT: error: qopt-quantize: cannot write report '/nonexistent/dir/r.json'
func.func @f(%x: tensor<8x64xf32>) -> tensor<8x15xf32> {
  %w = arith.constant dense<0.5> : tensor<64x15xf32>
  %y = qopt.matmul %x, %w : tensor<8x64xf32>, tensor<64x15xf32> -> tensor<8x15xf32> loc("fc_odd")
  return %y : tensor<8x15xf32>
}
