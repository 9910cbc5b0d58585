// floor_div_int: numpy.floor_divide for int32 (exact: values are within 2^24); x // 0 = 0 as numpy
vec4 k_floor_div_int(vec4 a, vec4 b) {
    return mix(k_floor_div(a, b), vec4(0.0), equal(b, vec4(0.0)));
}
