// squared_difference: (a - b)^2
vec4 k_squared_difference(vec4 a, vec4 b) {
    vec4 d = a - b;
    return d * d;
}
