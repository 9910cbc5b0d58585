// div: a / b; IEEE results for b = 0 (x/0 = +-inf, 0/0 = nan) like numpy, checked by the tests.
vec4 k_div(vec4 a, vec4 b) { return a / b; }
