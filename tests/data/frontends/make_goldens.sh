#!/usr/bin/env bash
# Regenerates the frontend parity goldens in this folder: short utterances synthesised with
# espeak-ng (resampled with sox, no dither, so the bytes are reproducible), then torchaudio
# reference features from ../../../../shared/reference/features_ref.py and extra_ref.py.
# goldens.json (hand-written) says which of our flags reproduce each file.
# Run from anywhere: tests/data/frontends/make_goldens.sh
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
ref="$here/../../../../shared/reference/features_ref.py"
py=/usr/bin/python3
cd "$here"
tmp="$(mktemp -d)"
trap 'rm -rf "$tmp"' EXIT

# --- audio: one word or two per rate, 16-bit FLAC -----------------------------------------
espeak-ng -v en-us -s 160 --stdout "hello" | sox -q -t wav - -b 16 -c 1 -D u16k.flac gain -3 rate 16000
espeak-ng -v en-gb+f2 -s 170 --stdout "seven" | sox -q -t wav - -b 16 -c 1 -D u8k.flac gain -3 rate 8000
espeak-ng -v en-us+m3 -s 170 --stdout "yes" | sox -q -t wav - -b 16 -c 1 -D u22k.flac gain -3
espeak-ng -v en-gb-scotland -s 170 --stdout "go" | sox -q -t wav - -b 16 -c 1 -D u44k.flac gain -3 rate 44100
# The 44.1 kHz word resampled to 16 kHz by sox (its HQ rate is the algorithm libsoxr implements).
sox u44k.flac -b 16 -D u44k_to16k.flac rate 16000

# --- features_ref.py: Kaldi fbank, log-mel and MFCC per configuration ------------------------
# golden NAME INPUT [features_ref.py options...]: keeps NAME.fbank.f32, NAME.logmel.f32, NAME.mfcc.f32
golden() {
  local name="$1" input="$2"
  shift 2
  "$py" "$ref" "$input" "$tmp/$name" "$@" > /dev/null
  mv "$tmp/$name/kaldi_fbank.f32" "$name.fbank.f32"
  mv "$tmp/$name/logmel.f32" "$name.logmel.f32"
  mv "$tmp/$name/mfcc.f32" "$name.mfcc.f32"
}
golden g16_default u16k.flac
golden g16_options u16k.flac --num-mel-bins 40 --snip-edges 0 --window-type hamming --low-freq 60 \
  --high-freq -400 --preemph 0.9 --frame-length-ms 20 --frame-shift-ms 12 \
  --n-fft 512 --win-length 400 --hop 128 --n-mels 64 --mel-scale slaney --mel-norm slaney --log db --center 0 \
  --n-mfcc 20
golden g8 u8k.flac --num-mel-bins 23 --window-type hanning \
  --n-fft 256 --hop 80 --n-mels 40 --pad-mode constant --power 1 --f-min 50 --f-max 3800
golden g22 u22k.flac --num-mel-bins 48 --window-type blackman --snip-edges 0 \
  --n-fft 1024 --win-length 551 --hop 220 --n-mels 48 --mel-scale slaney --log-eps 1e-5 --pad-mode replicate \
  --n-mfcc 24
golden g44 u44k.flac --num-mel-bins 48 --window-type rectangular --int16-scale \
  --n-fft 2048 --hop 441 --n-mels 96 --mel-norm slaney --n-mfcc 30
golden g44to16 u44k_to16k.flac

# --- extra_ref.py: Kaldi options features_ref.py does not expose --------------------------
"$py" extra_ref.py u16k.flac e16_energy.fbank.f32 fbank num_mel_bins=30 use_energy=True energy_floor=1.0 \
  > /dev/null
"$py" extra_ref.py u16k.flac e16_plain.fbank.f32 fbank num_mel_bins=30 use_energy=True raw_energy=False \
  energy_floor=0.0 use_power=False remove_dc_offset=False round_to_power_of_two=False \
  preemphasis_coefficient=0.0 > /dev/null
"$py" extra_ref.py u8k.flac e8_linear.fbank.f32 fbank num_mel_bins=23 use_log_fbank=False energy_floor=0.0 \
  > /dev/null
"$py" extra_ref.py u16k.flac e16_kaldi.mfcc.f32 mfcc num_mel_bins=23 num_ceps=13 cepstral_lifter=22.0 \
  use_energy=True energy_floor=0.0 > /dev/null
"$py" extra_ref.py u8k.flac e8.mulaw.u8 mulaw > /dev/null
# --- torch.hann_window (periodic, float32) for the window lengths above -----------------------
for n in 256 400 551; do
  "$py" -c "import torch; torch.hann_window($n).numpy().astype('<f4').tofile('hann$n.f32')"
done
echo "goldens written to $here ($(du -sh --apparent-size . | cut -f1))"
