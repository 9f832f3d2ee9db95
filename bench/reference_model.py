# The model both PyTorch sides of the benchmarks (preference_reference.py, grpo_reference.py) run: tempa's
# model folder read into a transformers GPT2LMHeadModel, checked against tempa's own logits before timing.
import json, os, sys

import torch
from safetensors.torch import load_file
from transformers import GPT2Config, GPT2LMHeadModel


def gpt2(folder):
    """tempa's config.json + model.safetensors as a GPT2LMHeadModel (tempa's tensor names are GPT2Model's)."""
    cfg = json.load(open(os.path.join(folder, 'config.json')))
    cfg = cfg.get('config', cfg)
    hf = GPT2Config(vocab_size=cfg['vocabSize'], n_positions=cfg['blockSize'], n_embd=cfg['nEmbd'], n_layer=cfg['nLayer'], n_head=cfg['nHead'],
                    activation_function='gelu_new', layer_norm_epsilon=1e-5, resid_pdrop=0.0, embd_pdrop=0.0, attn_pdrop=0.0,
                    tie_word_embeddings=True, bos_token_id=0, eos_token_id=0, pad_token_id=0)
    if not cfg.get('tieWeights', True) or cfg.get('positions', 'learned') != 'learned':
        sys.exit(f'{folder}: the bench needs tied embeddings and learned positions (GPT-2)')
    model = GPT2LMHeadModel(hf)
    missing, unexpected = model.transformer.load_state_dict(load_file(os.path.join(folder, 'model.safetensors')), strict=False)
    if unexpected or [k for k in missing if not k.endswith('.attn.bias') and not k.endswith('.masked_bias')]:
        sys.exit(f'{folder}: weights do not fit GPT2Model: missing {missing}, unexpected {unexpected}')
    model.tie_weights()
    return model


def check_logits(model, work, data):
    """Both sides must run the same function: tempa's logits of one batch (logits.bin) against this model's."""
    ids = torch.tensor(data['check']['ids'])
    theirs = torch.frombuffer(bytearray(open(os.path.join(work, 'logits.bin'), 'rb').read()), dtype=torch.float32).view(*ids.shape, -1)
    with torch.no_grad():
        ours = model(ids).logits
    diff = (ours - theirs).abs().max().item()
    if not diff < 1e-4:
        sys.exit(f'logits differ from tempa\'s by {diff:.3g} (max abs); the models are not the same')
    return diff
