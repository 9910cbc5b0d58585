// cast_int: float -> int32 truncates toward zero, like numpy astype
vec4 k_cast_int(vec4 x) { return trunc(x); }
