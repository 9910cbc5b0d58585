// argmin: index of the smallest element; a nan counts as smaller than any number (numpy returns
// the first nan), equal values keep the first index
bool arg_better(float v, float best) {
    return isnan(v) ? !isnan(best) : v < best;
}
