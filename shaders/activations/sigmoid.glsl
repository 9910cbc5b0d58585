// sigmoid: 1 / (1 + e^-x), evaluated on -|x| so exp never overflows
vec4 k_sigmoid(vec4 x) {
    vec4 e = exp(-abs(x));
    vec4 pos = 1.0 / (1.0 + e);
    return mix(e * pos, pos, greaterThanEqual(x, vec4(0.0)));
}
