# The PyTorch side of bench/preference.ts: the same model (read from tempa's model folder into a
# transformers GPT2LMHeadModel, logits checked against tempa's) and the same data, timed as TRL's
# DPOTrainer step and as TRL's PPO rollout + update. Prints one JSON line. Usage:
#   python bench/preference_reference.py <work dir> dpo|ppo <timed steps> <warm-up steps> <threads>
import json, os, statistics, sys, tempfile, time

import torch
import torch.nn.functional as F
from safetensors.torch import load_file

from reference_model import check_logits, gpt2

WORK, MODE, STEPS, WARMUP, THREADS = sys.argv[1], sys.argv[2], int(sys.argv[3]), int(sys.argv[4]), int(sys.argv[5])
torch.set_num_threads(THREADS)
torch.manual_seed(0)
DATA = json.load(open(os.path.join(WORK, 'data.json')))


class Scored(torch.nn.Module):
    """A GPT-2 body with a scalar head at every position (tempa's `score` head, HF's sequence classifier)."""
    def __init__(self, folder):
        super().__init__()
        self.body = gpt2(folder).transformer
        self.score = torch.nn.Linear(self.body.config.n_embd, 1, bias=False)
        self.score.weight.data.copy_(load_file(os.path.join(folder, 'heads.safetensors'))['score.weight'])

    def forward(self, ids, mask, pos):
        return self.score(self.body(input_ids=ids, attention_mask=mask, position_ids=pos).last_hidden_state).squeeze(-1)


def median_ms(samples):
    return statistics.median(samples) * 1000


def dpo():
    """TRL's DPOTrainer on the pairs (ids spelled as words of a one-word-per-id vocabulary, so TRL tokenizes them back to the same ids)."""
    from datasets import Dataset
    from tokenizers import Tokenizer, models, pre_tokenizers
    from transformers import PreTrainedTokenizerFast, TrainerCallback
    from trl import DPOConfig, DPOTrainer

    model = gpt2(os.path.join(WORK, 'policy'))
    diff = check_logits(model, WORK, DATA)
    V = model.config.vocab_size
    word = models.WordLevel({f'<{i}>': i for i in range(V)}, unk_token='<1>')
    tok = Tokenizer(word)
    tok.pre_tokenizer = pre_tokenizers.WhitespaceSplit()
    # The eos token is the id every answer ends with, so TRL's add-EOS step leaves the answers as they are.
    eos = f"<{DATA['endId']}>"
    tokenizer = PreTrainedTokenizerFast(tokenizer_object=tok, eos_token=eos, pad_token=f"<{DATA['padId']}>", unk_token='<1>')
    spell = lambda ids: ' '.join(f'<{i}>' for i in ids)
    pairs = DATA['pairs']
    dataset = Dataset.from_list([{'prompt': spell(p['prompt']), 'chosen': ' ' + spell(p['chosen']), 'rejected': ' ' + spell(p['rejected'])} for p in pairs])
    batch = DATA['batch']
    with tempfile.TemporaryDirectory() as out:
        args = DPOConfig(output_dir=out, per_device_train_batch_size=batch, max_length=DATA['blockSize'], precompute_ref_log_probs=True,
                         max_steps=WARMUP + STEPS, learning_rate=DATA['lr'], beta=0.1, adam_beta2=0.95, weight_decay=0.1, max_grad_norm=1.0,
                         lr_scheduler_type='constant', warmup_steps=0,
                         use_cpu=True, bf16=False, gradient_checkpointing=False, report_to=[], logging_steps=10**6, save_strategy='no',
                         dataloader_num_workers=0, disable_tqdm=True, seed=0)
        trainer = DPOTrainer(model=model, args=args, train_dataset=dataset, processing_class=tokenizer)
        first = trainer.train_dataset[0]
        if first['prompt_ids'] != pairs[0]['prompt'] or first['chosen_ids'] != pairs[0]['chosen']:
            sys.exit(f"TRL tokenized the pairs to other ids than tempa uses: {first['prompt_ids'][:8]}.. {first['chosen_ids']} vs {pairs[0]['prompt'][:8]}.. {pairs[0]['chosen']}")
        times = []

        class Timer(TrainerCallback):
            def on_step_begin(self, *a, **k):
                self.t0 = time.perf_counter()

            def on_step_end(self, *a, **k):
                times.append(time.perf_counter() - self.t0)

        trainer.add_callback(Timer())
        trainer.train()
    timed = times[WARMUP:]
    ms = median_ms(timed)
    print(json.dumps({'pairsPerSec': batch / (ms / 1000), 'msPerStep': ms, 'steps': len(timed), 'logitsMaxDiff': diff,
                      'version': f'torch {torch.__version__}, trl {__import__("trl").__version__}', 'threads': torch.get_num_threads()}))


def ppo():
    """TRL PPOTrainer's rollout and update (trl 0.x ppo_trainer.py) written out in torch: trl 1.x ships no PPOTrainer.
    Departure: no stop token, so no response truncation or padding masks (every answer has R tokens)."""
    cfg = DATA['ppo']
    policy_dir, reward_dir = os.path.join(WORK, 'policy'), os.path.join(WORK, 'reward')
    policy, ref = gpt2(policy_dir), gpt2(policy_dir).eval()
    diff = check_logits(policy, WORK, DATA)
    reward, value = Scored(reward_dir).eval(), Scored(reward_dir)
    params = list(policy.parameters()) + list(value.parameters())
    opt = torch.optim.AdamW(params, lr=DATA['lr'], betas=(0.9, 0.95), eps=1e-8, weight_decay=0.1)
    prompts = cfg['prompts']
    B, P, R, temp = len(prompts), max(len(p) for p in prompts), cfg['newTokens'], cfg['temperature']
    # Left-padded queries, as TRL batches them for generate.
    queries = torch.tensor([[DATA['padId']] * (P - len(p)) + p for p in prompts])
    qmask = torch.tensor([[0] * (P - len(p)) + [1] * len(p) for p in prompts])
    mask = torch.cat([qmask, torch.ones(B, R, dtype=torch.long)], 1)
    pos = (mask.cumsum(1) - 1).clamp(min=0)

    def logits_of(model, seq):
        return model(input_ids=seq, attention_mask=mask, position_ids=pos).logits[:, P - 1:-1] / (temp + 1e-7)

    def logprobs_of(model, seq, logits=None):
        logits = logits_of(model, seq) if logits is None else logits
        return torch.gather(F.log_softmax(logits, -1), 2, seq[:, P:].unsqueeze(-1)).squeeze(-1)

    def rollout():
        with torch.no_grad():
            # Exactly R new tokens, as tempa's side samples without stop tokens: the same work on both sides.
            seq = policy.generate(input_ids=queries, attention_mask=qmask, max_new_tokens=R, min_new_tokens=R, do_sample=True, temperature=temp,
                                  top_k=0, top_p=1.0, pad_token_id=DATA['padId'], eos_token_id=None)
            logp, ref_logp = logprobs_of(policy, seq), logprobs_of(ref, seq)
            values = value(seq, mask, pos)[:, P - 1:-1]
            scores = reward(seq, mask, pos)[:, -1]
            rewards = -cfg['klCoef'] * (logp - ref_logp)
            rewards[:, -1] += scores
            adv_rev, last = [], 0.0
            for t in reversed(range(R)):
                nxt = values[:, t + 1] if t < R - 1 else 0.0
                last = rewards[:, t] + cfg['gamma'] * nxt - values[:, t] + cfg['gamma'] * cfg['lam'] * last
                adv_rev.append(last)
            advantages = torch.stack(adv_rev[::-1], 1)
            returns = advantages + values
            advantages = (advantages - advantages.mean()) / (advantages.std() + 1e-8)
        return seq, logp, values, advantages, returns

    def update(seq, old_logp, old_values, advantages, returns):
        for _ in range(cfg['epochs']):
            logits = logits_of(policy, seq)
            new_logp = logprobs_of(policy, seq, logits)
            vpred = value(seq, mask, pos)[:, P - 1:-1]
            vclipped = old_values + (vpred - old_values).clamp(-cfg['cliprangeValue'], cfg['cliprangeValue'])
            vf_loss = 0.5 * torch.max((vpred - returns) ** 2, (vclipped - returns) ** 2).mean()
            ratio = torch.exp(new_logp - old_logp)
            pg_loss = torch.max(-advantages * ratio, -advantages * ratio.clamp(1 - cfg['cliprange'], 1 + cfg['cliprange'])).mean()
            loss = pg_loss + cfg['vfCoef'] * vf_loss
            with torch.no_grad():  # TRL's update statistics (tempa's ppoMinibatchLoss reads the same metrics)
                pg_clipfrac = ((-advantages * ratio.clamp(1 - cfg['cliprange'], 1 + cfg['cliprange'])) > (-advantages * ratio)).float().mean().item()
                vf_clipfrac = ((vclipped - returns) ** 2 > (vpred - returns) ** 2).float().mean().item()
                entropy = (torch.logsumexp(logits, -1) - (F.softmax(logits, -1) * logits).sum(-1)).mean().item()
                approxkl = (0.5 * (new_logp - old_logp) ** 2).mean().item()
            opt.zero_grad(set_to_none=True)
            loss.backward()
            torch.nn.utils.clip_grad_norm_(params, 1.0)
            opt.step()

    rollouts, updates = [], []
    for i in range(WARMUP + STEPS):
        t0 = time.perf_counter()
        batch = rollout()
        t1 = time.perf_counter()
        update(*batch)
        t2 = time.perf_counter()
        if i >= WARMUP:
            rollouts.append(t1 - t0)
            updates.append(t2 - t1)
    print(json.dumps({'rolloutMs': median_ms(rollouts), 'updateMs': median_ms(updates), 'steps': STEPS, 'logitsMaxDiff': diff,
                      'version': f'torch {torch.__version__}, transformers {__import__("transformers").__version__}', 'threads': torch.get_num_threads()}))


{'dpo': dpo, 'ppo': ppo}[MODE]()
