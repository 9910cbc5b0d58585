// cumprod: running product (combined by shaders/templates/scan_block.frag)
float scan_identity() { return 1.0; }
float scan_combine(float acc, float x) { return acc * x; }
