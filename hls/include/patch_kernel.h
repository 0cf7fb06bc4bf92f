// pylic patch buffer: move fixed-size P x P windows between a frame buffer and a patch buffer.
// Bytes, channels last (HWC); frame is height x width x CH, patch is P x P x CH. Mirrors
// pylic/fixed/patch_buffer.py (extract_patch / merge_patch).
//   mode 0 (extract): patch[r][c] = frame[y0 + r][x0 + c], or 0 where that lies outside the frame.
//   mode 1 (merge):   frame[y0 + r][x0 + c] = patch[r][c] for r0 <= r < r1, c0 <= c < c1, inside the frame.
// CFG provides P and CH.
#ifndef PYLIC_PATCH_KERNEL_H
#define PYLIC_PATCH_KERNEL_H

namespace pylic {

template <class CFG>
void patch_extract(const unsigned char* frame, unsigned char* patch, int height, int width, int y0, int x0) {
ROWS:
    for (int r = 0; r < CFG::P; ++r) {
    COLS:
        for (int c = 0; c < CFG::P; ++c) {
        CHANNELS:
            for (int k = 0; k < CFG::CH; ++k) {
#pragma HLS PIPELINE II=1
                int fy = y0 + r, fx = x0 + c;
                bool inside = fy >= 0 && fy < height && fx >= 0 && fx < width;
                unsigned char v = 0;
                if (inside) v = frame[(fy * width + fx) * CFG::CH + k];
                patch[(r * CFG::P + c) * CFG::CH + k] = v;
            }
        }
    }
}

template <class CFG>
void patch_merge(const unsigned char* patch, unsigned char* frame, int height, int width, int y0, int x0, int r0,
                 int c0, int r1, int c1) {
ROWS:
    for (int r = 0; r < CFG::P; ++r) {
    COLS:
        for (int c = 0; c < CFG::P; ++c) {
        CHANNELS:
            for (int k = 0; k < CFG::CH; ++k) {
#pragma HLS PIPELINE II=1
                int fy = y0 + r, fx = x0 + c;
                bool owned = r >= r0 && r < r1 && c >= c0 && c < c1;
                bool inside = fy >= 0 && fy < height && fx >= 0 && fx < width;
                if (owned && inside) frame[(fy * width + fx) * CFG::CH + k] = patch[(r * CFG::P + c) * CFG::CH + k];
            }
        }
    }
}

}  // namespace pylic

#endif
