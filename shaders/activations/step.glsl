// step (tfjs): 1 for x > 0, else alpha (a uniform); nan stays nan
vec4 k_step(vec4 x, float alpha) {
    return mix(mix(vec4(alpha), vec4(1.0), greaterThan(x, vec4(0.0))), x, isnan(x));
}
