# The PyTorch side of bench/grpo.ts: the same model (tempa's model folder as a GPT2LMHeadModel, logits checked
# against tempa's), the same prompts and the same reward, timed as rollout generation (HF generate and a
# hand-written KV-cache loop) and as one step of TRL's GRPOTrainer. Runs in lockstep with bench/grpo.ts (it
# waits for a line on stdin before each timed unit and prints @@done after it), then prints one JSON line. Usage:
#   python bench/grpo_reference.py <work dir> rollout|grpo <timed steps> <warm-up steps> <threads>
import json, os, re, statistics, sys, tempfile, time, unicodedata

import torch
import torch.nn.functional as F

from reference_model import check_logits, gpt2

WORK, MODE, STEPS, WARMUP, THREADS = sys.argv[1], sys.argv[2], int(sys.argv[3]), int(sys.argv[4]), int(sys.argv[5])
torch.set_num_threads(THREADS)
torch.manual_seed(0)
DATA = json.load(open(os.path.join(WORK, 'data.json')))
POLICY = os.path.join(WORK, 'policy')
STOPS = [DATA['endId'], DATA['eosId']]

# tempa's answer convention (stages/shared/tasks/answer.ts) and integer verifier, line for line.
MARKER = re.compile(r'^[ \t]*answer[ \t]*:', re.IGNORECASE | re.MULTILINE)
MINUS_LIKE = re.compile('[\u2212\u2012\u2013\u2014\uFE63\uFF0D]')
INTEGER = re.compile(r'^(?:0|-?(?:[1-9][0-9]{0,2}(?:,[0-9]{3})+|[1-9][0-9]*))$')
FENCE = re.compile(r'^```[\w-]*\n([\s\S]*?)\n?```$')
QUOTES = [('"', '"'), ("'", "'"), ('`', '`'), ('“', '”'), ('‘', '’'), ('«', '»')]


def unwrap(text):
    out = text.strip()
    fenced = FENCE.match(out)
    if fenced:
        out = fenced.group(1).strip()
    if out.endswith('.') and len(out) > 1:
        out = out[:-1].rstrip()
    for open_, close in QUOTES:
        if len(out) < 2 or not out.startswith(open_) or not out.endswith(close):
            continue
        inside = out[1:-1]
        if open_ not in inside and close not in inside:
            return inside.strip()
    return out


def correct(reference, response):
    """1.0 when the response states `reference` as a plain integer: all of it, or its one `Answer:` line."""
    text = MINUS_LIKE.sub('-', unicodedata.normalize('NFKC', response))
    markers = list(MARKER.finditer(text))
    if len(markers) > 1:
        return 0.0
    stated = unwrap(text if not markers else text[markers[0].end():])
    read = lambda s: int(s.replace(',', '')) if INTEGER.match(s) else None
    return 1.0 if stated != '' and read(stated) is not None and read(stated) == read(reference) else 0.0


def check_reward():
    """The Python checker must give tempa's verdicts on the probe responses tempa scored."""
    for probe in DATA['probes']:
        if correct(probe['answer'], probe['response']) != probe['reward']:
            sys.exit(f"the Python checker scores {probe['response']!r} (reference {probe['answer']}) {correct(probe['answer'], probe['response'])}, tempa {probe['reward']}")


def left_padded(prompts):
    """G copies of each prompt, left-padded into one batch, as HF generate and TRL batch them."""
    rows = [p['ids'] for p in prompts for _ in range(DATA['generations'])]
    P = max(len(r) for r in rows)
    ids = torch.tensor([[DATA['padId']] * (P - len(r)) + r for r in rows])
    mask = torch.tensor([[0] * (P - len(r)) + [1] * len(r) for r in rows])
    return ids, mask


def answer_lengths(new):
    """Tokens each row generated up to and including its first stop token (all of them when it never stopped)."""
    stopped = torch.isin(new, torch.tensor(STOPS))
    first = torch.where(stopped.any(1), stopped.int().argmax(1) + 1, torch.full((new.shape[0],), new.shape[1]))
    return first


@torch.inference_mode()
def loop_generate(model, ids, mask, max_new, temperature, greedy=False):
    """GPT-2 decoding written out in torch with a preallocated KV cache, left padding masked, rows that stopped
    fed padding until every row stopped: the leanest eager PyTorch sampler of this model."""
    tr, cfg = model.transformer, model.config
    B, P = ids.shape
    nh, C = cfg.n_head, cfg.n_embd
    hs = C // nh
    K = torch.zeros(cfg.n_layer, B, nh, P + max_new, hs)  # (L, B, nh, T, hs)
    V = torch.zeros_like(K)
    keys = torch.zeros(B, P + max_new, dtype=torch.bool)
    keys[:, :P] = mask.bool()
    positions = (mask.cumsum(1) - 1).clamp(min=0)  # (B, P)
    allowed = keys[:, None, None, :P] & torch.ones(P, P, dtype=torch.bool).tril()  # (B, 1, P, P)
    x, at, done, out = ids, 0, torch.zeros(B, dtype=torch.bool), []
    stops = torch.tensor(STOPS)
    for _ in range(max_new):
        t = x.shape[1]
        h = tr.wte(x) + tr.wpe(positions)  # (B, t, C)
        for layer, block in enumerate(tr.h):
            q, k, v = block.attn.c_attn(block.ln_1(h)).view(B, t, 3, nh, hs).transpose(1, 3).unbind(2)  # each (B, nh, t, hs)
            K[layer, :, :, at:at + t], V[layer, :, :, at:at + t] = k, v
            y = F.scaled_dot_product_attention(q, K[layer, :, :, :at + t], V[layer, :, :, :at + t], attn_mask=allowed)  # (B, nh, t, hs)
            h = h + block.attn.c_proj(y.transpose(1, 2).reshape(B, t, C))
            h = h + block.mlp.c_proj(F.gelu(block.mlp.c_fc(block.ln_2(h)), approximate='tanh'))
        logits = tr.ln_f(h[:, -1]) @ tr.wte.weight.T  # (B, V)
        token = logits.argmax(-1, keepdim=True) if greedy else torch.multinomial(F.softmax(logits / temperature, -1), 1)  # (B, 1)
        token[done] = DATA['padId']
        out.append(token)
        done |= torch.isin(token[:, 0], stops)
        if done.all():
            break
        at += t
        keys[:, at] = True
        allowed = keys[:, None, None, :at + 1]  # (B, 1, 1, at+1)
        positions = positions[:, -1:] + 1
        x = token
    return torch.cat(out, 1)


def hf_generate(model, ids, mask, max_new, temperature, greedy=False):
    with torch.no_grad():
        seq = model.generate(input_ids=ids, attention_mask=mask, max_new_tokens=max_new, do_sample=not greedy, temperature=temperature if not greedy else None,
                             top_k=0, top_p=1.0, pad_token_id=DATA['padId'], eos_token_id=STOPS)
    return seq[:, ids.shape[1]:]


def median_ms(samples):
    return statistics.median(samples) * 1000


def turn():
    """Waits for bench/grpo.ts to hand over the machine: its timed units and these alternate."""
    if not sys.stdin.readline():
        sys.exit('bench/grpo.ts closed the lockstep pipe early')


def unit_done():
    print('@@done', flush=True)


def clocks():
    """Wall and CPU seconds (all of this process's threads): CPU time is what a busy shared machine disturbs least."""
    return time.perf_counter(), time.process_time()


def rollout():
    """Tokens/s of G answers to each prompt, HF generate (TRL's sampler on CPU) and the hand-written loop, on the
    prompts of varied lengths and on prompts of one length."""
    model = gpt2(POLICY).eval()
    diff = check_logits(model, WORK, DATA)
    s = DATA['sampling']
    # The loop is a fair anchor only if it decodes what HF does: greedy tokens must agree.
    ids, mask = left_padded(DATA['prompts'])
    if not torch.equal(loop_generate(model, ids, mask, 8, 1.0, greedy=True)[:, :8], hf_generate(model, ids, mask, 8, 1.0, greedy=True)[:, :8]):
        sys.exit('the hand-written decoding loop and HF generate disagree on greedy tokens')
    result = {'logitsMaxDiff': diff, 'version': f'torch {torch.__version__}, transformers {__import__("transformers").__version__}', 'threads': torch.get_num_threads()}
    for workload, prompts in (('varied', DATA['prompts']), ('equal', DATA['equalPrompts'])):
        ids, mask = left_padded(prompts)
        samples = {'hf': ([], [], []), 'loop': ([], [], [])}  # tokens/s, tokens per CPU s, mean length
        for i in range(WARMUP + STEPS):
            for name, sample in (('hf', hf_generate), ('loop', loop_generate)):
                turn()
                wall, cpu = clocks()
                new = sample(model, ids, mask, s['maxTokens'], s['temperature'])
                wall, cpu = [b - a for a, b in zip((wall, cpu), clocks())]
                unit_done()
                n = answer_lengths(new)
                if i >= WARMUP:
                    for values, x in zip(samples[name], (n.sum().item() / wall, n.sum().item() / cpu, n.float().mean().item())):
                        values.append(x)
        result[workload] = {name: {'tokensPerSec': statistics.median(r), 'tokensPerCpuSec': statistics.median(c), 'meanLength': statistics.mean(m)}
                            for name, (r, c, m) in samples.items()}
    print(json.dumps(result))


def grpo():
    """TRL's GRPOTrainer, one step = generate G answers per prompt, reward, advantages, dapo loss, backward, AdamW."""
    from datasets import Dataset
    from transformers import PreTrainedTokenizerFast, TrainerCallback
    from trl import GRPOConfig, GRPOTrainer

    check_reward()
    model = gpt2(POLICY)
    diff = check_logits(model, WORK, DATA)
    # tempa's answers end with <|end|>: as the eos token it ends TRL's answers and its completion mask.
    tokenizer = PreTrainedTokenizerFast.from_pretrained(POLICY, eos_token='<|end|>')
    prompts = DATA['prompts']
    for p in prompts:
        ids = tokenizer.apply_chat_template([{'role': 'user', 'content': p['content']}], add_generation_prompt=True, tokenize=True)
        ids = ids['input_ids'] if hasattr(ids, 'keys') else ids
        if list(ids) != p['ids']:
            sys.exit(f"TRL's chat template gives other prompt ids than tempa's: {list(ids)[:12]}.. vs {p['ids'][:12]}..")
    dataset = Dataset.from_list([{'prompt': [{'role': 'user', 'content': p['content']}], 'answer': p['answer']} for p in prompts])

    def correct_reward(completions, answer, **_):
        return [correct(a, c[0]['content']) for c, a in zip(completions, answer)]
    correct_reward.__name__ = 'correct'

    s, G = DATA['sampling'], DATA['generations']
    phases = {'generation': [], 'step': [], 'generationCpu': [], 'stepCpu': [], 'length': []}
    with tempfile.TemporaryDirectory() as out:
        args = GRPOConfig(output_dir=out, per_device_train_batch_size=G * len(prompts), num_generations=G, max_completion_length=s['maxTokens'],
                          temperature=s['temperature'], top_k=0, top_p=1.0, loss_type='dapo', beta=0.0, epsilon=DATA['epsilon'],
                          learning_rate=DATA['lr'], adam_beta2=DATA['beta2'], weight_decay=DATA['weightDecay'], max_grad_norm=DATA['maxNorm'],
                          lr_scheduler_type='constant', warmup_steps=0, max_steps=WARMUP + STEPS, generation_kwargs={'eos_token_id': STOPS},
                          use_cpu=True, bf16=False, gradient_checkpointing=False, report_to=[], logging_steps=10**6, save_strategy='no',
                          dataloader_num_workers=0, disable_tqdm=True, seed=0)
        trainer = GRPOTrainer(model=model, reward_funcs=[correct_reward], args=args, train_dataset=dataset, processing_class=tokenizer)
        generate_and_score = trainer._generate_and_score_completions

        def timed_generation(*a, **k):
            wall, cpu = clocks()
            batch = generate_and_score(*a, **k)
            now = clocks()
            phases['generation'].append(now[0] - wall)
            phases['generationCpu'].append(now[1] - cpu)
            phases['length'].append(batch['completion_mask'].sum(1).float().mean().item())
            return batch
        trainer._generate_and_score_completions = timed_generation

        class Timer(TrainerCallback):
            def on_step_begin(self, *a, **k):
                turn()
                self.t0 = clocks()

            def on_step_end(self, *a, **k):
                now = clocks()
                phases['step'].append(now[0] - self.t0[0])
                phases['stepCpu'].append(now[1] - self.t0[1])
                unit_done()

        trainer.add_callback(Timer())
        trainer.train()
    step, generation = phases['step'][WARMUP:], phases['generation'][WARMUP:]
    step_cpu, generation_cpu = phases['stepCpu'][WARMUP:], phases['generationCpu'][WARMUP:]
    if len(generation) != len(step):
        sys.exit(f'TRL generated {len(phases["generation"])} times in {len(phases["step"])} steps; expected once per step')
    print(json.dumps({'stepMs': median_ms(step), 'generationMs': median_ms(generation), 'updateMs': median_ms([a - b for a, b in zip(step, generation)]),
                      'cpu': {'stepMs': median_ms(step_cpu), 'generationMs': median_ms(generation_cpu), 'updateMs': median_ms([a - b for a, b in zip(step_cpu, generation_cpu)])},
                      'meanLength': statistics.mean(phases['length'][WARMUP:]), 'steps': len(step), 'logitsMaxDiff': diff,
                      'version': f'torch {torch.__version__}, trl {__import__("trl").__version__}', 'threads': torch.get_num_threads()}))


{'rollout': rollout, 'grpo': grpo}[MODE]()
