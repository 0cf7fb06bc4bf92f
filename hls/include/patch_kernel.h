// pylic patch buffer: the HLS twin of pylic/ps/tiling.py (extract_patch, merge_patch), bit for bit; csim checks
// it against those very functions. Bytes, channels last (HWC): frame H x W x CH, patch P x P x CH; patch (row, col)
// has its origin at (row * STRIDE, col * STRIDE), STRIDE = P - O.
//   extract: patch[r][c][k] = lut[frame[min(y0 + r, H - 1)][min(x0 + c, W - 1)][k]]   (clamp to edge; the LUT
//            maps pixels to the DPU's int8 input, or is the identity)
//   merge:   v = patch[r][c][k] * wr[r] * wc[c] (+ acc[.] if an earlier patch covers the pixel); if a later patch
//            covers it, acc[.] = v, else frame[.] = (v + HALF) >> SHIFT. Per-axis weights sum to FULL = 2^B, so
//            a frame pixel is the weighted mean of every patch covering it; v needs ACC_BITS = 8 + 2B bits.
// CFG provides P, CH, O, STRIDE, B, FULL, SHIFT, HALF, ACC_BITS; `ramp` holds the O weights of the later patch.
#ifndef PYLIC_PATCH_KERNEL_H
#define PYLIC_PATCH_KERNEL_H

#include "ap_int.h"

namespace pylic {

template <class CFG>
void patch_extract(const unsigned char* frame, unsigned char* patch, const unsigned char lut[256], int height,
                   int width, int row, int col) {
    const int y0 = row * CFG::STRIDE, x0 = col * CFG::STRIDE;
ROWS:
    for (int r = 0; r < CFG::P; ++r) {
    COLS:
        for (int c = 0; c < CFG::P; ++c) {
        CHANNELS:
            for (int k = 0; k < CFG::CH; ++k) {
#pragma HLS PIPELINE II=1
                const int fy = y0 + r < height ? y0 + r : height - 1;
                const int fx = x0 + c < width ? x0 + c : width - 1;
                patch[(r * CFG::P + c) * CFG::CH + k] = lut[frame[(fy * width + fx) * CFG::CH + k]];
            }
        }
    }
}

// Weight of position i along one axis: the ramp where an earlier patch overlaps (lead), its complement where a
// later one does (trail), FULL elsewhere.
template <class CFG>
ap_uint<CFG::B + 1> axis_weight(int i, bool lead, bool trail, const ap_uint<CFG::B + 1>* ramp) {
    if (lead && i < CFG::O) return ramp[i];
    if (trail && i >= CFG::P - CFG::O) return ap_uint<CFG::B + 1>(CFG::FULL - ramp[i - (CFG::P - CFG::O)]);
    return ap_uint<CFG::B + 1>(CFG::FULL);
}

template <class CFG>
void patch_merge(const unsigned char* patch, unsigned char* frame, unsigned int* acc,
                 const ap_uint<CFG::B + 1>* ramp, int height, int width, int row, int col, int rows, int cols) {
    const int y0 = row * CFG::STRIDE, x0 = col * CFG::STRIDE;
    const bool top = row > 0, bottom = row < rows - 1, left = col > 0, right = col < cols - 1;
ROWS:
    for (int r = 0; r < CFG::P; ++r) {
    COLS:
        for (int c = 0; c < CFG::P; ++c) {
        CHANNELS:
            for (int k = 0; k < CFG::CH; ++k) {
#pragma HLS PIPELINE II=1
// each iteration reads and writes its own acc/frame element only
#pragma HLS DEPENDENCE variable=acc type=inter dependent=false
#pragma HLS DEPENDENCE variable=frame type=inter dependent=false
                const int fy = y0 + r, fx = x0 + c;
                if (fy < height && fx < width) {
                    const bool lead = (top && r < CFG::O) || (left && c < CFG::O);
                    const bool trail = (bottom && r >= CFG::P - CFG::O) || (right && c >= CFG::P - CFG::O);
                    const ap_uint<2 * CFG::B + 1> w =
                        axis_weight<CFG>(r, top, bottom, ramp) * axis_weight<CFG>(c, left, right, ramp);
                    const int i = (fy * width + fx) * CFG::CH + k;
                    ap_uint<CFG::ACC_BITS> v = ap_uint<8>(patch[(r * CFG::P + c) * CFG::CH + k]) * w;
                    if (lead) v += ap_uint<CFG::ACC_BITS>(acc[i]);
                    if (trail) {
                        acc[i] = v.to_uint();
                    } else {
                        frame[i] = (unsigned char)((v + CFG::HALF) >> CFG::SHIFT).to_uint();
                    }
                }
            }
        }
    }
}

}  // namespace pylic

#endif
