"""Performance model of the hardware codec (pure Python/numpy): DPU cycles per layer, memory roofline, GDN fabric
kernels, PS entropy coding, a three-lane pipeline simulation, and the paper's own model for comparison."""
