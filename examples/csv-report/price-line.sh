#!/bin/sh
# Prices one order line: quantity x unit price, converted to EUR at fixed
# rates. Called by `shoal:command` with the row's fields as arguments;
# prints the result JSON on stdout, or explains a bad row on stderr and
# exits 1 (shoal records that as shoal.CommandFailed with this message).
set -eu
order=$1 quantity=$2 unit_price=$3 currency=$4

case $quantity in
  '' | *[!0-9]*) echo "order $order: quantity '$quantity' is not a positive whole number" >&2; exit 1 ;;
esac
case $unit_price in
  *[!0-9.]* | '' | *.*.*) echo "order $order: unit price '$unit_price' is not a decimal number like 12.50" >&2; exit 1 ;;
esac
# Units of the currency per euro (a fixed table keeps the report reproducible).
case $currency in
  EUR) rate=1 ;;
  GBP) rate=0.86 ;;
  CHF) rate=0.94 ;;
  SEK) rate=11.2 ;;
  USD) rate=1.08 ;;
  *) echo "order $order: unknown currency '$currency'" >&2; exit 1 ;;
esac
awk -v q="$quantity" -v p="$unit_price" -v r="$rate" -v c="$currency" 'BEGIN {
  printf "{\"net\": %.2f, \"currency\": \"%s\", \"net_eur\": %.2f}\n", q * p, c, q * p / r
}'
