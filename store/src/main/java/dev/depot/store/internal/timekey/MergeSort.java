package dev.depot.store.internal.timekey;

/**
 * A stable sort of parallel arrays by key, without boxing: keys that compare equal keep their
 * order, so the first of equal keys is the one with the lowest batch index.
 */
final class MergeSort {
  private MergeSort() {}

  /**
   * Sorts {@code keys[0..n)} ascending, moving {@code values} along; {@code tmpKeys} and {@code
   * tmpValues} hold at least {@code n} elements.
   */
  static void sort(long[] keys, int[] values, int n, long[] tmpKeys, int[] tmpValues) {
    long[] srcK = keys;
    int[] srcV = values;
    long[] dstK = tmpKeys;
    int[] dstV = tmpValues;
    for (int width = 1; width < n; width <<= 1) {
      for (int lo = 0; lo < n; lo += width << 1) {
        int mid = Math.min(lo + width, n);
        int hi = Math.min(lo + (width << 1), n);
        int i = lo;
        int j = mid;
        int o = lo;
        while (i < mid && j < hi) {
          if (srcK[j] < srcK[i]) {
            dstK[o] = srcK[j];
            dstV[o++] = srcV[j++];
          } else {
            dstK[o] = srcK[i];
            dstV[o++] = srcV[i++];
          }
        }
        while (i < mid) {
          dstK[o] = srcK[i];
          dstV[o++] = srcV[i++];
        }
        while (j < hi) {
          dstK[o] = srcK[j];
          dstV[o++] = srcV[j++];
        }
      }
      long[] swapK = srcK;
      srcK = dstK;
      dstK = swapK;
      int[] swapV = srcV;
      srcV = dstV;
      dstV = swapV;
    }
    if (srcK != keys) {
      System.arraycopy(srcK, 0, keys, 0, n);
      System.arraycopy(srcV, 0, values, 0, n);
    }
  }
}
